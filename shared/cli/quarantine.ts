import path from 'node:path';
import { confDir as defaultConfDir } from '../config/settings';
import { GatewayStateLoader } from '../gateway/state';
import { QueuePublisher } from '../queue/publisher';
import { judgeAgain } from '../quarantine/replay';
import {
  deleteHeld,
  holdQuarantine,
  locateQuarantine,
  releaseHeld,
  replaceHeld,
  type HeldRecord,
  type QuarantineLocation,
} from '../quarantine/store';
import type { QuarantineRecord } from '../quarantine/record';
import type { SinkName } from '../sinks/types';
import {
  formatHelp,
  formatTable,
  LOCATION_OPTIONS,
  parseCommandArgs,
  parseOrAnswer,
  positiveInteger,
  processIo,
  UsageError,
  type CommandIo,
} from './args';
import type { Command } from './main';
import { locateOptionsFrom, QueueLookupError, type LocationDeps, withLocationDeps } from './queues';

const FILTER_OPTIONS = {
  ...LOCATION_OPTIONS,
  topic: { type: 'string', valueName: 'topic', description: 'only events of this topic (case-insensitive)' },
  since: {
    type: 'string',
    valueName: 'when',
    description: 'only events quarantined since this ISO time, or this long ago (30m, 2h, 7d)',
  },
  limit: {
    type: 'string',
    valueName: 'n',
    description: 'read at most this many quarantined events (default 1000)',
  },
} as const;

const REPLAY_OPTIONS = {
  ...FILTER_OPTIONS,
  conf: {
    type: 'string',
    valueName: 'dir',
    description: 'configuration to judge events by (default $CONF_DIR or ./conf)',
  },
  'dry-run': {
    type: 'boolean',
    description: 'judge every event again but deliver, change and delete nothing',
  },
} as const;

const LIST_HELP = formatHelp(
  'eventgate quarantine list [--topic T] [--since WHEN] [--local | --stage S --region R] [--json]',
  'Shows the events kept in quarantine: refused for schema or field-rule reasons on topics with "quarantine": true.',
  FILTER_OPTIONS,
);
const REPLAY_HELP = formatHelp(
  'eventgate quarantine replay [--topic T] [--since WHEN] [--conf DIR] [--dry-run] [--local | --stage S --region R]',
  'Judges each quarantined event again against the current schema versions and access rules. Those that pass are delivered to their topic’s sink queues under the event id they were given when refused (so a second replay, or a replay interrupted and run again, stores each event once) and leave the quarantine; the rest stay, with their new errors.',
  REPLAY_OPTIONS,
);

interface Filter {
  topic?: string;
  since?: number;
  limit: number;
}

const DURATION = /^(\d+)(m|h|d)$/;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseSince(value: string, now: number = Date.now()): number {
  const duration = DURATION.exec(value);
  if (duration) return now - Number(duration[1]) * (UNIT_MS[duration[2] as string] as number);
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(time)) {
    throw new UsageError(
      `--since must be an ISO time (2026-01-31T12:00:00Z) or a duration (30m, 2h, 7d), got "${value}"`,
    );
  }
  return time;
}

function filterFrom(values: { topic?: string; since?: string; limit?: string }): Filter {
  return {
    ...(values.topic !== undefined ? { topic: values.topic.toLowerCase() } : {}),
    ...(values.since !== undefined ? { since: parseSince(values.since) } : {}),
    limit: values.limit !== undefined ? positiveInteger(values.limit, '--limit') : 1000,
  };
}

function matches(filter: Filter, record: QuarantineRecord): boolean {
  if (filter.topic !== undefined && record.topic.toLowerCase() !== filter.topic) return false;
  if (filter.since !== undefined && Date.parse(record.quarantinedAt) < filter.since) return false;
  return true;
}

function summary(record: QuarantineRecord): string {
  const [first, ...rest] = record.errors;
  const text = first ? `${first.message}` : '';
  return rest.length > 0 ? `${text} (+${rest.length} more)` : text;
}

/** The flags every quarantine subcommand has: --help and those filterFrom reads. */
type FilterFlags = Parameters<typeof filterFrom>[0] & { help?: boolean };

/** A subcommand's flags and the filter they name; or its help, or its usage error, answered. */
function parseFilteredArgs<V extends FilterFlags>(
  subcommand: 'list' | 'replay',
  parse: () => { values: V },
  help: string,
  io: CommandIo,
): { request: { values: V; filter: Filter } } | { exitCode: number } {
  return parseOrAnswer(
    `quarantine ${subcommand}`,
    () => {
      const { values } = parse();
      return values.help ? 'help' : { values, filter: filterFrom(values) };
    },
    () => help,
    io,
  );
}

async function withLocation<T>(
  io: CommandIo,
  flags: Parameters<typeof locateOptionsFrom>[0],
  deps: LocationDeps,
  work: (location: QuarantineLocation) => Promise<T>,
): Promise<T | number> {
  let location: QuarantineLocation;
  try {
    location = await locateQuarantine(withLocationDeps(locateOptionsFrom(flags), deps));
  } catch (error) {
    if (error instanceof QueueLookupError) {
      io.err(`eventgate quarantine: ${error.message}`);
      return 1;
    }
    throw error;
  }
  return work(location);
}

export async function runList(
  args: string[],
  io: CommandIo = processIo(),
  deps: LocationDeps = {},
): Promise<number> {
  const parsed = parseFilteredArgs('list', () => parseCommandArgs(args, FILTER_OPTIONS), LIST_HELP, io);
  if ('exitCode' in parsed) return parsed.exitCode;
  const { values, filter } = parsed.request;
  const result = await withLocation(io, values, deps, async (location) => {
    // A listing changes nothing: it peeks, leaving every message visible.
    const held = await holdQuarantine(location, { limit: filter.limit, peek: true });
    const records = held.flatMap((item) =>
      item.record && matches(filter, item.record) ? [item.record] : [],
    );
    const unreadable = held.filter((item) => item.record === null).length;
    records.sort((a, b) => a.quarantinedAt.localeCompare(b.quarantinedAt));
    if (values.json) {
      io.out(JSON.stringify({ where: location.where, count: records.length, unreadable, events: records }));
      return 0;
    }
    io.out(
      formatTable(
        ['QUARANTINED AT', 'TOPIC', 'EVENT ID', 'SUBJECT', 'CORRELATION ID', 'REPLAYS', 'ERRORS'],
        records.map((record) => [
          record.quarantinedAt,
          record.topic,
          record.id,
          record.subject ?? '-',
          record.correlationId,
          record.replays,
          summary(record),
        ]),
      ),
    );
    io.err(
      `${records.length} quarantined event(s) in ${location.where}${unreadable > 0 ? `; ${unreadable} unreadable message(s)` : ''}`,
    );
    return 0;
  });
  return result;
}

export async function runReplay(
  args: string[],
  io: CommandIo = processIo(),
  deps: LocationDeps = {},
): Promise<number> {
  const parsed = parseFilteredArgs('replay', () => parseCommandArgs(args, REPLAY_OPTIONS), REPLAY_HELP, io);
  if ('exitCode' in parsed) return parsed.exitCode;
  const { values, filter } = parsed.request;
  const dryRun = values['dry-run'] === true;
  return withLocation(io, values, deps, async (location) => {
    const env = deps.env ?? process.env;
    // Topics default to the sinks this deployment has queues for, as the ingest function's do.
    const deployed = location.sinks.map((queue) => queue.sink);
    const state = await new GatewayStateLoader({
      confDir: path.resolve(values.conf ?? defaultConfDir(env)),
      env: { ...env, EVENTGATE_SINKS: env.EVENTGATE_SINKS ?? deployed.join(',') },
    }).current();
    const publisher = new QueuePublisher({
      client: location.client,
      queueUrls: Object.fromEntries(location.sinks.map((queue) => [queue.sink, queue.queueUrl])),
    });

    const held = await holdQuarantine(location, { limit: filter.limit });
    const untouched: HeldRecord[] = [];
    const counts = { delivered: 0, kept: 0, failed: 0 };
    const report: Array<Record<string, unknown>> = [];
    for (const item of held) {
      if (item.record === null || !matches(filter, item.record)) {
        untouched.push(item);
        continue;
      }
      const record = item.record;
      const verdict = judgeAgain(state, record);
      if (verdict.accepted) {
        if (!dryRun) {
          const failures = (await publisher.deliver(verdict.sinks as SinkName[], [verdict.envelope])).get(
            record.id,
          );
          if (failures) {
            // Not delivered: it stays as it was, for the next replay.
            untouched.push(item);
            counts.failed += 1;
            report.push({ id: record.id, topic: record.topic, outcome: 'failed', errors: failures });
            io.err(
              `failed    ${record.id}  ${record.topic}: ${failures.map((failure) => failure.message).join('; ')}`,
            );
            continue;
          }
          await deleteHeld(location, item);
        } else {
          untouched.push(item);
        }
        counts.delivered += 1;
        report.push({
          id: record.id,
          topic: record.topic,
          outcome: 'delivered',
          schemaVersion: verdict.envelope.schemaVersion,
        });
        if (!values.json)
          io.out(`delivered ${record.id}  ${record.topic}  schema version ${verdict.envelope.schemaVersion}`);
      } else {
        if (!dryRun) {
          await replaceHeld(location, item, {
            ...record,
            errors: verdict.errors,
            quarantinedAt: new Date().toISOString(),
            replays: record.replays + 1,
          });
        } else {
          untouched.push(item);
        }
        counts.kept += 1;
        report.push({ id: record.id, topic: record.topic, outcome: 'kept', errors: verdict.errors });
        if (!values.json)
          io.out(`kept      ${record.id}  ${record.topic}  ${verdict.errors[0]?.message ?? ''}`);
      }
    }
    await releaseHeld(location, untouched);
    const verb = dryRun ? 'would be ' : '';
    if (values.json) io.out(JSON.stringify({ where: location.where, dryRun, ...counts, events: report }));
    io.err(
      `${counts.delivered} ${verb}delivered, ${counts.kept} ${verb}kept in quarantine` +
        (counts.failed > 0
          ? `, ${counts.failed} could not be delivered (still quarantined; run again)`
          : '') +
        ` (${location.where})`,
    );
    return counts.failed > 0 ? 1 : 0;
  });
}

const HELP = `Usage: eventgate quarantine <list|replay> [options]

  list     show the events kept in quarantine
  replay   judge them again against the current schemas; deliver those that pass

Run \`eventgate quarantine <list|replay> --help\` for the options of each.`;

export const command: Command = {
  summary: 'list and replay quarantined events',
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === 'list') return runList(rest);
    if (sub === 'replay') return runReplay(rest);
    if (sub === '--help' || sub === '-h') {
      console.log(HELP);
      return 0;
    }
    console.error(sub === undefined ? HELP : `Unknown subcommand "${sub}".\n\n${HELP}`);
    return 2;
  },
};

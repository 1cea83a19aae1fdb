import {
  CloudWatchClient,
  GetMetricDataCommand,
  type CloudWatchClientConfig,
} from '@aws-sdk/client-cloudwatch';
import type { Command } from './main';
import {
  LOCATION_OPTIONS,
  formatHelp,
  parseOrAnswer,
  formatTable,
  parseCommandArgs,
  positiveNumber,
  processIo,
  withOptionalValue,
  abortOnInterrupt,
} from './args';
import {
  describeLookupFailure,
  locateOptionsFrom,
  locateQueues,
  queueCounts,
  queueNameFromUrl,
  type LocateOptions,
  type QueueCommandDeps,
  type QueueLocation,
  withLocationDeps,
} from './queues';
import type { SinkName } from '../sinks/types';
import { systemClock } from '../clock';
import { describeError } from '../errors/describe';

const DEFAULT_WATCH_SECONDS = '5';

const OPTIONS = {
  watch: {
    type: 'string',
    valueName: 'seconds',
    description: `refresh every n seconds (default ${DEFAULT_WATCH_SECONDS}) until Ctrl-C`,
  },
  ...LOCATION_OPTIONS,
} as const;

const USAGE = 'eventgate backlog [options]';
const SUMMARY =
  'Per-sink queue depth, messages in flight, delayed messages, DLQ depth and age of the oldest message.';
const NOTES = [
  'Columns: VISIBLE waiting to be processed; IN-FLIGHT received by a worker, not yet deleted; DELAYED',
  'not yet visible; DLQ every message in the dead-letter queue; OLDEST the CloudWatch metric',
  'ApproximateAgeOfOldestMessage (Maximum statistic, the newest one-minute datapoint of the last 5',
  'minutes). The local SQS server has no such metric and peeking would raise receive counts, so',
  'locally OLDEST is n/a. Only sinks whose queue exists are shown. With --json and --watch, one JSON',
  'document per line.',
];

export interface SinkBacklog {
  sink: SinkName;
  queueUrl: string;
  dlqUrl: string | null;
  visible: number;
  inFlight: number;
  delayed: number;
  /** Every message in the DLQ (visible, in flight and delayed); null when the sink has no DLQ. */
  dlq: number | null;
  /** Null when unknown: no metric locally, no datapoint yet, or CloudWatch could not be read. */
  oldestAgeSeconds: number | null;
}

export interface BacklogReport {
  at: string;
  mode: QueueLocation['mode'];
  where: string;
  region: string;
  stage?: string;
  sinks: SinkBacklog[];
  /** Sinks with no queue in this stage (not deployed or not configured locally). */
  missing: SinkName[];
  warnings: string[];
}

/** Age in seconds of the oldest message per queue name; queues without a value are left out. */
export type OldestAgeSource = (queueNames: readonly string[]) => Promise<Map<string, number>>;

const METRIC_WINDOW_MS = 5 * 60 * 1000;

/** ApproximateAgeOfOldestMessage, Maximum statistic, newest datapoint of the last five minutes. */
export function cloudWatchOldestAge(client: CloudWatchClient, now: () => number = Date.now): OldestAgeSource {
  return async (queueNames) => {
    const ages = new Map<string, number>();
    if (queueNames.length === 0) return ages;
    const end = new Date(now());
    const response = await client.send(
      new GetMetricDataCommand({
        StartTime: new Date(end.getTime() - METRIC_WINDOW_MS),
        EndTime: end,
        ScanBy: 'TimestampDescending',
        MetricDataQueries: queueNames.map((name, index) => ({
          Id: `q${index}`,
          ReturnData: true,
          MetricStat: {
            Metric: {
              Namespace: 'AWS/SQS',
              MetricName: 'ApproximateAgeOfOldestMessage',
              Dimensions: [{ Name: 'QueueName', Value: name }],
            },
            Period: 60,
            Stat: 'Maximum',
          },
        })),
      }),
    );
    for (const series of response.MetricDataResults ?? []) {
      const index = Number((series.Id ?? '').slice(1));
      const name = queueNames[index];
      const newest = newestValue(series.Timestamps ?? [], series.Values ?? []);
      if (name !== undefined && newest !== undefined) ages.set(name, newest);
    }
    return ages;
  };
}

function newestValue(timestamps: readonly Date[], values: readonly number[]): number | undefined {
  let best: { at: number; value: number } | undefined;
  values.forEach((value, index) => {
    const at = timestamps[index]?.getTime() ?? Number.NEGATIVE_INFINITY;
    if (!best || at > best.at) best = { at, value };
  });
  return best?.value;
}

export async function collectBacklog(
  location: QueueLocation,
  oldestAge?: OldestAgeSource,
  now: () => number = Date.now,
): Promise<BacklogReport> {
  const warnings: string[] = [];
  const sinks = await Promise.all(
    location.sinks.map(async (queues) => {
      const [main, dead] = await Promise.all([
        queueCounts(location.client, queues.queueUrl),
        queues.dlqUrl ? queueCounts(location.client, queues.dlqUrl) : Promise.resolve(undefined),
      ]);
      const entry: SinkBacklog = {
        sink: queues.sink,
        queueUrl: queues.queueUrl,
        dlqUrl: queues.dlqUrl ?? null,
        visible: main.visible,
        inFlight: main.inFlight,
        delayed: main.delayed,
        dlq: dead ? dead.visible + dead.inFlight + dead.delayed : null,
        oldestAgeSeconds: null,
      };
      return entry;
    }),
  );
  if (oldestAge && sinks.length > 0) {
    try {
      const names = sinks.map((entry) => queueNameFromUrl(entry.queueUrl));
      const ages = await oldestAge(names);
      sinks.forEach((entry, index) => {
        entry.oldestAgeSeconds = ages.get(names[index] ?? '') ?? null;
      });
    } catch (error) {
      warnings.push(`oldest age unavailable: ${describeError(error)}`);
    }
  }
  const report: BacklogReport = {
    at: new Date(now()).toISOString(),
    mode: location.mode,
    where: location.where,
    region: location.region,
    sinks,
    missing: location.missing,
    warnings,
  };
  if (location.stage !== undefined) report.stage = location.stage;
  return report;
}

export function formatAge(seconds: number | null): string {
  if (seconds === null) return 'n/a';
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
  if (whole < 86400)
    return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(whole / 86400)}d${String(Math.floor((whole % 86400) / 3600)).padStart(2, '0')}h`;
}

export function renderBacklog(report: BacklogReport): string {
  const table = formatTable(
    ['SINK', 'VISIBLE', 'IN-FLIGHT', 'DELAYED', 'DLQ', 'OLDEST'],
    report.sinks.map((entry) => [
      entry.sink,
      entry.visible,
      entry.inFlight,
      entry.delayed,
      entry.dlq ?? 'no DLQ',
      formatAge(entry.oldestAgeSeconds),
    ]),
  );
  const lines = [`Backlog of ${report.where} at ${report.at}`, '', table];
  if (report.missing.length > 0) lines.push('', `No queue for: ${report.missing.join(', ')}`);
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}

export interface BacklogDeps extends QueueCommandDeps {
  /** Settings for the CloudWatch client (AWS mode only). */
  cloudWatchConfig?: CloudWatchClientConfig;
  /** Replaces the CloudWatch lookup (AWS mode only). */
  oldestAge?: OldestAgeSource;
  /** Ends --watch; without one, Ctrl-C does. */
  signal?: AbortSignal;
}

interface BacklogRequest {
  json: boolean;
  watchSeconds?: number;
  locate: LocateOptions;
}

export function parseBacklogArgs(args: readonly string[]): BacklogRequest | 'help' {
  const { values } = parseCommandArgs(withOptionalValue(args, '--watch', DEFAULT_WATCH_SECONDS), OPTIONS);
  if (values.help) return 'help';
  const request: BacklogRequest = { json: values.json === true, locate: locateOptionsFrom(values) };
  if (values.watch !== undefined) request.watchSeconds = positiveNumber(values.watch, '--watch');
  return request;
}

const CLEAR_SCREEN = '\x1b[2J\x1b[H';

export async function runBacklog(args: readonly string[], deps: BacklogDeps = {}): Promise<number> {
  const io = deps.io ?? processIo();
  const parsed = parseOrAnswer(
    'backlog',
    () => parseBacklogArgs(args),
    () => formatHelp(USAGE, SUMMARY, OPTIONS, NOTES),
    io,
  );
  if ('exitCode' in parsed) return parsed.exitCode;
  const { request } = parsed;
  const locate = withLocationDeps(request.locate, deps);
  const local = request.locate.local === true;

  let location: QueueLocation;
  try {
    location = await locateQueues(locate);
  } catch (error) {
    io.err(`eventgate backlog: ${describeLookupFailure(error, local)}`);
    return 1;
  }
  let cloudWatch: CloudWatchClient | undefined;
  let oldestAge: OldestAgeSource | undefined = deps.oldestAge;
  if (location.mode === 'aws' && !oldestAge) {
    cloudWatch = new CloudWatchClient({ region: location.region, ...deps.cloudWatchConfig });
    oldestAge = cloudWatchOldestAge(cloudWatch);
  }
  // Locally the SQS server keeps no age metric; leaving the source out reports n/a.
  if (location.mode === 'local') oldestAge = undefined;

  const interrupt = request.watchSeconds !== undefined && !deps.signal ? abortOnInterrupt() : undefined;
  const signal = deps.signal ?? interrupt?.signal;
  try {
    if (location.sinks.length === 0) {
      io.err(`eventgate backlog: no eventgate queues in ${location.where}`);
      return 1;
    }
    for (;;) {
      try {
        const report = await collectBacklog(location, oldestAge);
        if (request.json) {
          io.out(
            request.watchSeconds !== undefined ? JSON.stringify(report) : JSON.stringify(report, null, 2),
          );
        } else {
          io.out(
            `${request.watchSeconds !== undefined && io.outIsTTY ? CLEAR_SCREEN : ''}${renderBacklog(report)}`,
          );
        }
      } catch (error) {
        io.err(`eventgate backlog: ${describeLookupFailure(error, local)}`);
        if (request.watchSeconds === undefined) return 1;
      }
      if (request.watchSeconds === undefined || signal?.aborted) return 0;
      await systemClock.sleep(request.watchSeconds * 1000, signal);
      if (signal?.aborted) return 0;
      if (!io.outIsTTY && !request.json) io.out('');
    }
  } finally {
    interrupt?.dispose();
    location.client.destroy();
    cloudWatch?.destroy();
  }
}

export const command: Command = {
  summary: 'per-sink queue depth, in-flight, DLQ depth and oldest age',
  run: (args) => runBacklog(args),
};

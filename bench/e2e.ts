import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultTableName } from '../shared/sinks/postgres/tables';
import { queryOnce } from '../test/peers/postgres';
import { ASYNC_SUBJECT, ASYNC_TOPIC, asyncTopicEvent } from './events';
import { runLoad, type LoadSummary } from './load-driver';
import { createDatabase, type BenchPeers } from './peers';
import { lockedChildren, startCliRuntime } from '../test/helpers/cli-runtime';
import { processCpuSeconds } from './process-cpu';
import type { Figure } from './report';
import { median, round } from './stats';

export interface E2eBenchOptions {
  durationSeconds: number;
  /** Connections of the measured run: enough producers at once to keep both cores busy. */
  connections: number;
  /** A shorter run first with this many connections, for what few producers get (latency-bound). */
  fewConnections: number;
  fewDurationSeconds: number;
  /** Measured runs; the figures are their medians (the machine is shared and its speed varies). */
  runs: number;
  /** How long to wait for the queue to drain after the load ends. */
  drainTimeoutSeconds: number;
}

export const DEFAULT_E2E_OPTIONS: E2eBenchOptions = {
  // Long enough that the batching window's wait for the last partial batch (1 s) is a small part of it.
  durationSeconds: 20,
  connections: 64,
  fewConnections: 8,
  fewDurationSeconds: 5,
  runs: 3,
  drainTimeoutSeconds: 60,
};

const SECTION = 'End to end: local runtime over HTTP → embedded SQS → postgres worker → Postgres';
const REPO_CONF = path.join(__dirname, '..', 'conf');

interface TableFigures {
  rows: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  firstInsertMs: number;
  lastInsertMs: number;
}

async function tableFigures(url: string, table: string): Promise<TableFigures> {
  const [row] = await queryOnce<Record<string, string | null>>(
    url,
    `SELECT count(*) AS rows,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM inserted_at - received_at)) * 1000 AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM inserted_at - received_at)) * 1000 AS p99,
            extract(epoch FROM max(inserted_at - received_at)) * 1000 AS lag_max,
            extract(epoch FROM min(inserted_at)) * 1000 AS first_insert,
            extract(epoch FROM max(inserted_at)) * 1000 AS last_insert
       FROM "${table}"`,
  );
  return {
    rows: Number(row?.rows ?? 0),
    lagP50Ms: Number(row?.p50 ?? Number.NaN),
    lagP99Ms: Number(row?.p99 ?? Number.NaN),
    lagMaxMs: Number(row?.lag_max ?? Number.NaN),
    firstInsertMs: Number(row?.first_insert ?? Number.NaN),
    lastInsertMs: Number(row?.last_insert ?? Number.NaN),
  };
}

async function rowCount(url: string, table: string): Promise<number> {
  const rows = await queryOnce<{ count: string }>(url, `SELECT count(*) AS count FROM "${table}"`).catch(
    () => [],
  );
  return Number(rows[0]?.count ?? 0);
}

/**
 * Waits until the table holds at least `expected` rows and has stopped growing for a second (requests
 * in flight when the load stopped may still be accepted and land), or until it stalls or times out.
 */
async function waitForDrain(
  url: string,
  table: string,
  expected: number,
  timeoutSeconds: number,
): Promise<number> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let last = -1;
  let stalledSince = Date.now();
  for (;;) {
    const count = await rowCount(url, table);
    if (count !== last) {
      last = count;
      stalledSince = Date.now();
    }
    if (count >= expected && Date.now() - stalledSince >= 1_000) return count;
    // Ten quiet seconds: well past the poller's batching window and long poll, something is stuck.
    if (Date.now() > deadline || Date.now() - stalledSince > 10_000) return count;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function storedIds(url: string, table: string): Promise<Set<string>> {
  const rows = await queryOnce<{ event_id: string }>(
    url,
    `SELECT event_id::text AS event_id FROM "${table}"`,
  );
  return new Set(rows.map((row) => row.event_id));
}

interface RunMeasurement {
  load: LoadSummary;
  table: TableFigures;
  acceptedPerSecond: number;
  deliveredPerSecond: number;
  drainRate: number;
  rowsAfterLoad: number;
  backlogSeconds: number;
  gatewayCpuMicros: number | null;
  sqsCpuMicros: number | null;
  /** Accepted ids not found in the table. */
  missing: number;
  /** Rows beyond what the accepted answers and the requests left in flight can explain. */
  unaccounted: number;
  accounting: string;
}

interface CpuReading {
  gateway: number | null;
  sqs: number | null;
}

/**
 * One measured run on an empty table: the load, the drain, then every accepted id looked up. CPU is
 * charged per delivered event from the start of the load to the end of the drain.
 */
async function measureRun(run: {
  options: E2eBenchOptions;
  databaseUrl: string;
  table: string;
  load: () => Promise<LoadSummary>;
  cpu: () => CpuReading;
}): Promise<RunMeasurement> {
  const { options, databaseUrl, table } = run;
  const cpuBefore = run.cpu();
  const load = await run.load();
  const accepted = load.acceptedIds;
  const drained = await waitForDrain(databaseUrl, table, accepted.length, options.drainTimeoutSeconds);
  const cpuAfter = run.cpu();
  const figures = await tableFigures(databaseUrl, table);
  const stored = await storedIds(databaseUrl, table);
  const missing = accepted.filter((id) => !stored.has(id)).length;
  const rowsAfterLoad = Number(
    (
      await queryOnce<{ count: string }>(
        databaseUrl,
        `SELECT count(*) AS count FROM "${table}" WHERE inserted_at > to_timestamp($1 / 1000.0)`,
        [load.endedAt],
      )
    )[0]?.count ?? 0,
  );
  // Requests still in flight when the load stops (at most one per connection) may be accepted by
  // the gateway though their answers are never read: rows without a counted 202.
  const unanswered = figures.rows - accepted.length;
  const explained = unanswered >= 0 && unanswered <= options.connections;
  const perRow = (after: number | null, before: number | null): number | null =>
    after === null || before === null || figures.rows === 0 ? null : ((after - before) * 1e6) / figures.rows;
  return {
    load,
    table: figures,
    acceptedPerSecond: accepted.length / load.durationSeconds,
    deliveredPerSecond: figures.rows / Math.max((figures.lastInsertMs - load.startedAt) / 1000, 0.001),
    drainRate: figures.rows / Math.max((figures.lastInsertMs - figures.firstInsertMs) / 1000, 0.001),
    rowsAfterLoad,
    backlogSeconds: Math.max(0, (figures.lastInsertMs - load.endedAt) / 1000),
    gatewayCpuMicros: perRow(cpuAfter.gateway, cpuBefore.gateway),
    sqsCpuMicros: perRow(cpuAfter.sqs, cpuBefore.sqs),
    missing,
    // Rows beyond the accepted ids and the requests left in flight; too few rows are `missing` already.
    unaccounted: Math.max(0, unanswered - options.connections),
    accounting:
      `${figures.rows.toLocaleString('en-US')} rows, ${accepted.length.toLocaleString('en-US')} accepted, ${unanswered} from requests in flight at the stop (at most ${options.connections})` +
      (missing === 0 && explained
        ? ', every accepted id in the table'
        : `: MISMATCH, ${missing} accepted ids missing (waited until ${drained} rows)`),
  };
}

export interface E2eBenchResult {
  figures: Figure[];
  details: Record<string, unknown>;
}

/**
 * The whole local system under HTTP load for a bounded time, then the queue drained into
 * Postgres. Every accepted event id must be found in the table.
 */
export async function benchEndToEnd(
  peers: BenchPeers,
  options: E2eBenchOptions = DEFAULT_E2E_OPTIONS,
): Promise<E2eBenchResult> {
  if (!peers.postgres.ok) {
    return {
      figures: [
        {
          section: SECTION,
          label: 'end to end',
          value: null,
          unit: '',
          note: `not measured: ${peers.postgres.reason}`,
        },
      ],
      details: { error: peers.postgres.reason },
    };
  }
  const databaseUrl = await createDatabase(peers.postgres.peer, 'eventgate_bench_e2e');
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'eventgate-bench-state-'));
  const table = defaultTableName(ASYNC_TOPIC);
  // As a user runs it: npm start's command line, in its own process.
  const runtime = await startCliRuntime({
    stateDir,
    devArgs: ['--conf', REPO_CONF, '--subject', ASYNC_SUBJECT],
    env: { DATABASE_URL: databaseUrl, EVENTGATE_SINKS: 'postgres' },
    startTimeoutMs: 60_000,
  });
  try {
    const load = (connections: number, durationSeconds: number): Promise<LoadSummary> =>
      runLoad({
        url: `${runtime.url}/topics/${ASYNC_TOPIC}`,
        headers: { authorization: `Bearer ${runtime.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(asyncTopicEvent('[<id>]')),
        connections,
        durationSeconds,
      });

    // A few producers first: each waits for its answer before sending again, so this measures
    // the latency of one request more than what the machine can take.
    const few = await load(options.fewConnections, options.fewDurationSeconds);
    await waitForDrain(databaseUrl, table, few.acceptedIds.length, options.drainTimeoutSeconds);
    await queryOnce(databaseUrl, `TRUNCATE "${table}"`);

    const [sqsPid] = await lockedChildren(stateDir);
    const runs: RunMeasurement[] = [];
    for (let index = 0; index < options.runs; index++) {
      runs.push(
        await measureRun({
          options,
          databaseUrl,
          table,
          load: () => load(options.connections, options.durationSeconds),
          cpu: () => ({ gateway: processCpuSeconds(runtime.pid), sqs: processCpuSeconds(sqsPid) }),
        }),
      );
      await queryOnce(databaseUrl, `TRUNCATE "${table}"`);
    }
    const mid = (pick: (run: RunMeasurement) => number | null): number | null => {
      const values = runs.map(pick).filter((value): value is number => value !== null);
      return values.length === 0 ? null : median(values);
    };
    const spread = (pick: (run: RunMeasurement) => number): string =>
      `runs: ${runs.map((run) => round(pick(run)).toLocaleString('en-US')).join(', ')}`;
    const missing = runs.reduce((sum, run) => sum + run.missing + run.unaccounted, 0);
    const answers = (summary: LoadSummary): string =>
      `${summary.acceptedIds.length.toLocaleString('en-US')} accepted of ${summary.requests.toLocaleString('en-US')} requests; other statuses ${JSON.stringify(summary.otherStatuses)}, socket errors ${summary.errors}, timeouts ${summary.timeouts}`;
    const ofRuns = `median of ${runs.length} runs`;

    const result: Figure[] = [
      {
        section: SECTION,
        label: `accepted events/s (${options.connections} connections, ${options.durationSeconds} s, 1 KB events)`,
        value: mid((run) => run.acceptedPerSecond),
        unit: 'events/s',
        target: { op: '>=', value: 5_000 },
        note: `${ofRuns} (${spread((run) => run.acceptedPerSecond)}); ${runs.map((run) => answers(run.load)).join(' / ')}`,
      },
      {
        section: SECTION,
        label: 'request latency p50',
        value: mid((run) => run.load.latencyP50Ms),
        unit: 'ms',
        digits: 1,
      },
      {
        section: SECTION,
        label: 'request latency p99',
        value: mid((run) => run.load.latencyP99Ms),
        unit: 'ms',
        digits: 1,
      },
      {
        section: SECTION,
        label: `accepted events/s with ${options.fewConnections} connections (${options.fewDurationSeconds} s, before the runs above)`,
        value: few.acceptedIds.length / few.durationSeconds,
        unit: 'events/s',
        note: `${answers(few)}; request latency p50 ${round(few.latencyP50Ms, 1)} ms, p99 ${round(few.latencyP99Ms, 1)} ms: each producer waits for its answer, so this is bound by one request's round trip more than by the machine`,
      },
      {
        section: SECTION,
        label: 'delivery lag p50 (receivedAt → row inserted_at)',
        value: mid((run) => run.table.lagP50Ms),
        unit: 'ms',
        digits: 0,
      },
      {
        section: SECTION,
        label: 'delivery lag p99',
        value: mid((run) => run.table.lagP99Ms),
        unit: 'ms',
        digits: 0,
        note: `max ${round(Math.max(...runs.map((run) => run.table.lagMaxMs)))} ms; the queue drains while the load runs, on the same two cores`,
      },
      {
        section: SECTION,
        label: 'drain rate (rows over first → last insert)',
        value: mid((run) => run.drainRate),
        unit: 'rows/s',
        note: runs
          .map(
            (run) =>
              `${run.rowsAfterLoad.toLocaleString('en-US')} rows still queued when the load stopped, the last landed ${round(run.backlogSeconds, 1)} s later`,
          )
          .join(' / '),
      },
      {
        section: SECTION,
        label: 'delivered events/s (rows in Postgres over load start → last insert)',
        value: mid((run) => run.deliveredPerSecond),
        unit: 'events/s',
        target: { op: '>=', value: 5_000 },
        note: `${ofRuns} (${spread((run) => run.deliveredPerSecond)})`,
      },
      {
        section: SECTION,
        label: 'CPU per delivered event: gateway process (HTTP, ingest, pollers, worker)',
        value: mid((run) => run.gatewayCpuMicros),
        unit: 'µs',
        note: `the \`eventgate dev\` process (pid ${runtime.pid}): user + system, load start → drained; ${ofRuns}`,
      },
      {
        section: SECTION,
        label: 'CPU per delivered event: embedded SQS server process',
        value: mid((run) => run.sqsCpuMicros),
        unit: 'µs',
        note: sqsPid === undefined ? 'no process id' : `pid ${sqsPid}, from /proc/<pid>/stat; ${ofRuns}`,
      },
      {
        section: SECTION,
        label: 'CPU per request: the load generator (wrk), on the same cores',
        value: mid((run) => (run.load.requests > 0 ? (run.load.cpuSeconds * 1e6) / run.load.requests : null)),
        unit: 'µs',
        note: 'its whole process, start-up included',
      },
      {
        section: SECTION,
        label: 'accepted events missing from Postgres + rows not accounted for',
        value: missing,
        unit: 'events',
        target: { op: '<=', value: 0 },
        note: `all ${runs.length} runs: ${runs.map((run) => run.accounting).join(' / ')}`,
      },
    ];
    return {
      figures: result,
      details: {
        options,
        fewConnections: { ...few, acceptedIds: few.acceptedIds.length },
        runs: runs.map((run) => ({
          ...run,
          load: { ...run.load, acceptedIds: run.load.acceptedIds.length },
        })),
      },
    };
  } finally {
    await runtime.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startLocalRuntime } from '../shared/local/runtime';
import { defaultTableName } from '../shared/sinks/postgres/tables';
import { queryOnce } from '../test/peers/postgres';
import { ASYNC_SUBJECT, ASYNC_TOPIC, asyncTopicEvent } from './events';
import type { LoadSettings, LoadSummary } from './load-driver';
import { createDatabase, type BenchPeers } from './peers';
import { ownCpuSeconds, processCpuSeconds } from './process-cpu';
import type { Figure } from './report';
import { round } from './stats';

const run = promisify(execFile);

export interface E2eBenchOptions {
  durationSeconds: number;
  connections: number;
  /** How long to wait for the queue to drain after the load ends. */
  drainTimeoutSeconds: number;
}

export const DEFAULT_E2E_OPTIONS: E2eBenchOptions = {
  durationSeconds: 10,
  connections: 8,
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

/** Waits until the table holds `expected` rows or stops growing for a while, within the timeout. */
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
    if (count >= expected) return count;
    if (count !== last) {
      last = count;
      stalledSince = Date.now();
    }
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

async function runLoad(settings: LoadSettings): Promise<LoadSummary> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'load-driver.ts'), JSON.stringify(settings)],
    {
      cwd: path.join(__dirname, '..'),
      timeout: (settings.durationSeconds + 60) * 1000,
      maxBuffer: 10 * 1024 * 1024,
    },
  );
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as LoadSummary;
}

export interface E2eBenchResult {
  figures: Figure[];
  details: Record<string, unknown>;
}

/**
 * Figure 2: the whole local system under HTTP load for a bounded time, then the queue drained into
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
  const runtime = await startLocalRuntime({
    port: 0,
    confDir: REPO_CONF,
    stateDir,
    env: { ...process.env, DATABASE_URL: databaseUrl, EVENTGATE_SINKS: 'postgres' },
  });
  try {
    const token = await runtime.token(ASYNC_SUBJECT);
    // CPU from the start of the load to the end of the drain, charged per delivered event: the
    // gateway (this process hosts the runtime: HTTP, ingest, pollers, worker) and the SQS server.
    const sqsPid = runtime.processes.sqs.pid();
    const cpuBefore = { gateway: ownCpuSeconds(), sqs: processCpuSeconds(sqsPid) };
    const load = await runLoad({
      url: `${runtime.url}/topics/${ASYNC_TOPIC}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(asyncTopicEvent('[<id>]')),
      connections: options.connections,
      durationSeconds: options.durationSeconds,
      idsFile: path.join(stateDir, 'accepted-ids.txt'),
    });
    const drained = await waitForDrain(
      databaseUrl,
      table,
      load.accepted + load.inFlightAtStop,
      options.drainTimeoutSeconds,
    );
    const cpuAfter = { gateway: ownCpuSeconds(), sqs: processCpuSeconds(sqsPid) };
    const figures = await tableFigures(databaseUrl, table);
    const accepted = readFileSync(path.join(stateDir, 'accepted-ids.txt'), 'utf8')
      .split('\n')
      .filter(Boolean);
    const stored = await storedIds(databaseUrl, table);
    const missing = accepted.filter((id) => !stored.has(id)).length;

    const acceptedPerSecond = load.accepted / load.durationSeconds;
    const drainSpanSeconds = (figures.lastInsertMs - figures.firstInsertMs) / 1000;
    const backlogSeconds = Math.max(0, (figures.lastInsertMs - load.endedAt) / 1000);
    const rowsAfterLoad = Number(
      (
        await queryOnce<{ count: string }>(
          databaseUrl,
          `SELECT count(*) AS count FROM "${table}" WHERE inserted_at > to_timestamp($1 / 1000.0)`,
          [load.endedAt],
        )
      )[0]?.count ?? 0,
    );
    // Requests still in flight when autocannon stops are accepted by the gateway, but their answers are
    // never read; they show up as rows without a counted 202.
    const expectedRows = load.accepted + load.inFlightAtStop;
    const countsMatch = figures.rows === expectedRows && missing === 0;
    const microsPerRow = (seconds: number | null): number | null =>
      seconds === null || figures.rows === 0 ? null : (seconds * 1e6) / figures.rows;
    const gatewayCpuPerEvent = microsPerRow(cpuAfter.gateway - cpuBefore.gateway);
    const sqsCpuPerEvent = microsPerRow(
      cpuAfter.sqs === null || cpuBefore.sqs === null ? null : cpuAfter.sqs - cpuBefore.sqs,
    );

    const result: Figure[] = [
      {
        section: SECTION,
        label: `accepted events/s (${options.connections} connections, ${options.durationSeconds} s, 1 KB events)`,
        value: acceptedPerSecond,
        unit: 'events/s',
        target: { op: '>=', value: 5_000 },
        note: `${load.accepted.toLocaleString('en-US')} accepted of ${load.requests.toLocaleString('en-US')} requests; other statuses ${JSON.stringify(load.otherStatuses)}, errors ${load.errors}, timeouts ${load.timeouts}`,
      },
      { section: SECTION, label: 'request latency p50', value: load.latencyP50Ms, unit: 'ms', digits: 1 },
      { section: SECTION, label: 'request latency p99', value: load.latencyP99Ms, unit: 'ms', digits: 1 },
      {
        section: SECTION,
        label: 'delivery lag p50 (receivedAt → row inserted_at)',
        value: figures.lagP50Ms,
        unit: 'ms',
        digits: 0,
      },
      {
        section: SECTION,
        label: 'delivery lag p99',
        value: figures.lagP99Ms,
        unit: 'ms',
        digits: 0,
        note: `max ${round(figures.lagMaxMs)} ms; the queue drains while the load runs, on the same two cores`,
      },
      {
        section: SECTION,
        label: 'drain rate (rows over first → last insert)',
        value: figures.rows / Math.max(drainSpanSeconds, 0.001),
        unit: 'rows/s',
        note:
          `${rowsAfterLoad.toLocaleString('en-US')} rows were still queued when the load stopped; the last landed ${round(backlogSeconds, 1)} s later` +
          (rowsAfterLoad > 0 && backlogSeconds > 0
            ? ` (${round(rowsAfterLoad / backlogSeconds).toLocaleString('en-US')} rows/s without load)`
            : ''),
      },
      {
        section: SECTION,
        label: 'delivered events/s (rows in Postgres over load start → last insert)',
        value: figures.rows / Math.max((figures.lastInsertMs - load.startedAt) / 1000, 0.001),
        unit: 'events/s',
        target: { op: '>=', value: 5_000 },
      },
      {
        section: SECTION,
        label: 'CPU per delivered event: gateway process (HTTP, ingest, pollers, worker)',
        value: gatewayCpuPerEvent,
        unit: 'µs',
        note: 'user + system, load start → drained; includes this bench process waiting on the drain',
      },
      {
        section: SECTION,
        label: 'CPU per delivered event: embedded SQS server process',
        value: sqsCpuPerEvent,
        unit: 'µs',
        note: sqsPid === undefined ? 'no process id' : `pid ${sqsPid}, from /proc/<pid>/stat`,
      },
      {
        section: SECTION,
        label: 'CPU per request: the load generator (autocannon), on the same cores',
        value: load.requests > 0 ? (load.cpuSeconds * 1e6) / load.requests : null,
        unit: 'µs',
        note: 'its whole process, start-up included',
      },
      {
        section: SECTION,
        label: 'accepted events missing from Postgres + rows not accounted for',
        value: missing + Math.abs(figures.rows - expectedRows),
        unit: 'events',
        target: { op: '<=', value: 0 },
        note:
          `rows in Postgres ${figures.rows.toLocaleString('en-US')}; accepted (202 read) ${load.accepted.toLocaleString('en-US')}` +
          ` + in flight when the load stopped ${load.inFlightAtStop} = ${expectedRows.toLocaleString('en-US')}` +
          (countsMatch
            ? ': equal, and every accepted id is in the table'
            : `: MISMATCH (waited until ${drained} rows)`),
      },
    ];
    return {
      figures: result,
      details: {
        options,
        load,
        table: figures,
        missing,
        rowsAfterLoad,
        backlogSeconds,
        cpuSeconds: { before: cpuBefore, after: cpuAfter },
      },
    };
  } finally {
    await runtime.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

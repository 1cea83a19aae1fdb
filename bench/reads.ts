import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Client } from 'pg';
import { createEnvelope, type Envelope } from '../shared/envelope';
import { createReadHandler } from '../shared/read/handler';
import { PostgresSink } from '../shared/sinks/postgres/sink';
import { createTestConf, v2Event } from '../test/helpers/gateway';
import { runsPayload, shippedProjections } from '../test/helpers/projections';
import { createDatabase, type BenchPeers } from './peers';
import type { Figure } from './report';
import { median, round } from './stats';

export interface ReadsBenchOptions {
  /** Time per measured run; runs are repeated and the median taken. */
  runMs: number;
  runs: number;
  /** Events stored before the read runs. */
  storedEvents: number;
}

export const DEFAULT_READS_OPTIONS: ReadsBenchOptions = { runMs: 1_000, runs: 3, storedEvents: 5_000 };

const SECTION = 'Postgres projections and the read API, against the real Postgres';
const RUNS_TOPIC = 'public.cps.za.runs';
const STATUS_TOPIC = 'public.cps.za.status_change';
const BATCH = 100;
const PAGE = 50;
const JOBS_PER_RUN = 3;

let sequence = 0;

function runsBatch(): Envelope[] {
  return Array.from({ length: BATCH }, () => {
    const payload = runsPayload((sequence += 1), JOBS_PER_RUN, 1_767_225_600_000 + sequence * 1000);
    return createEnvelope({ topic: RUNS_TOPIC, payload, subject: 'FooBarUser', correlationId: 'bench' });
  });
}

/** A batch of lifecycle events over 20 jobs, arriving out of order: the upsert's merging is exercised. */
function statusBatch(jobs: readonly string[]): Envelope[] {
  return Array.from({ length: BATCH }, (_, index) =>
    createEnvelope({
      topic: STATUS_TOPIC,
      payload: {
        event_type: 'JobUpdatedEvent',
        event_id: randomUUID(),
        job_id: jobs[index % jobs.length],
        status_type: 'RUNNING',
        timestamp_event: 1_767_225_600_000 + ((sequence += 1) % 997) * 1000,
        status_detail: `step ${sequence}`,
        additional_context: { [`k${sequence % 7}`]: sequence },
      },
      subject: 'TestUser',
      correlationId: 'bench',
    }),
  );
}

/** Writes batches for `runMs`, `runs` times; events per second, median of the runs. */
async function writeRate(
  sink: PostgresSink,
  batch: () => Envelope[],
  options: ReadsBenchOptions,
): Promise<{ median: number; rates: number[] }> {
  await sink.write(batch()); // migrations and prepared statements out of the measurement
  const rates: number[] = [];
  for (let run = 0; run < options.runs; run++) {
    let events = 0;
    const started = performance.now();
    while (performance.now() - started < options.runMs) {
      const written = batch();
      const outcomes = await sink.write(written);
      const failed = outcomes.find((outcome) => !outcome.ok);
      if (failed && !failed.ok) throw new Error(`write failed: ${failed.error.message}`);
      events += written.length;
    }
    rates.push((events * 1000) / (performance.now() - started));
  }
  return { median: median(rates), rates };
}

/** Sequential requests for `runMs`, `runs` times; requests per second, median of the runs. */
async function requestRate(
  request: (n: number) => Promise<number>,
  options: ReadsBenchOptions,
): Promise<{ median: number; rates: number[] }> {
  await request(0);
  const rates: number[] = [];
  for (let run = 0; run < options.runs; run++) {
    let done = 0;
    const started = performance.now();
    while (performance.now() - started < options.runMs) {
      const status = await request(done);
      if (status !== 200) throw new Error(`read answered ${status}`);
      done += 1;
    }
    rates.push((done * 1000) / (performance.now() - started));
  }
  return { median: median(rates), rates };
}

/** Planner statistics for every table, as autovacuum's ANALYZE gathers them on a live database. */
async function analyze(connectionString: string): Promise<void> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

const spread = (rates: number[]): string =>
  `runs ${rates.map((rate) => Math.round(rate).toLocaleString('en-US')).join(' / ')}`;

/**
 * Projection write rate at batch 100 next to the generic table alone (`PostgresSink.write` in-process,
 * one connection), and reads per second of a page of 50 through the read handler (token, access map,
 * read-only connection) over stored events.
 */
export async function benchReads(
  peers: BenchPeers,
  options: ReadsBenchOptions = DEFAULT_READS_OPTIONS,
): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  if (!peers.postgres.ok) throw new Error(peers.postgres.reason);
  const url = await createDatabase(peers.postgres.peer, 'eventgate_bench_reads');
  const projections = shippedProjections();
  const generic = new PostgresSink({ connectionString: url, schema: 'generic_only', poolMax: 1 });
  const projected = new PostgresSink({
    connectionString: url,
    projections,
    projectionSchema: 'projections',
    poolMax: 1,
  });
  const conf = await createTestConf();
  const figures: Figure[] = [];
  try {
    const genericRate = await writeRate(generic, runsBatch, options);
    const runsRate = await writeRate(projected, runsBatch, options);
    const jobs = Array.from({ length: 20 }, () => randomUUID());
    const statusRate = await writeRate(projected, () => statusBatch(jobs), options);
    figures.push(
      {
        section: SECTION,
        label: 'Postgres write, batch 100, runs events: generic table only',
        value: round(genericRate.median),
        unit: 'events/s',
        note: spread(genericRate.rates),
      },
      {
        section: SECTION,
        label: `… generic table + runs and jobs projection (${JOBS_PER_RUN} jobs/event)`,
        value: round(runsRate.median),
        unit: 'events/s',
        note: spread(runsRate.rates),
      },
      {
        section: SECTION,
        label: '… generic table + status_change aggregate (upsert, 20 keys)',
        value: round(statusRate.median),
        unit: 'events/s',
        note: spread(statusRate.rates),
      },
    );

    // Reads measure a database in its steady state: tables written seconds ago have no planner
    // statistics yet (autovacuum analyses them within a minute), and without them Postgres joins
    // every job and sorts instead of walking the newest jobs, which made a stats page 50–80 ms
    // instead of about 1 ms.
    await analyze(url);
    // Reads: the runs written above, plus test events, in the same database the sink used.
    const read = createReadHandler({
      confDir: conf.dir,
      env: { ...process.env, DATABASE_URL: url },
    });
    const token = await conf.token('FooBarUser');
    const pageEvent = (query: Record<string, string>, route: string, method = 'GET', body?: string) => ({
      ...v2Event({ method, path: route, headers: { authorization: `Bearer ${token}` }, body: body ?? null }),
      queryStringParameters: query,
    });
    let cursor: string | undefined;
    const eventsPage = await requestRate(async () => {
      const query: Record<string, string> = { limit: String(PAGE) };
      if (cursor) query.cursor = cursor;
      const response = await read(pageEvent(query, `/topics/${RUNS_TOPIC}/events`) as APIGatewayProxyEventV2);
      const body = JSON.parse(response.body) as { pagination?: { cursor: string | null } };
      cursor = body.pagination?.cursor ?? undefined;
      return response.statusCode;
    }, options);
    let statsCursor: number | null = null;
    const statsPage = await requestRate(async () => {
      const request: Record<string, unknown> = { timestamp_start: 0, limit: PAGE };
      if (statsCursor !== null) request.cursor = statsCursor;
      const response = await read(
        pageEvent({}, `/stats/${RUNS_TOPIC}`, 'POST', JSON.stringify(request)) as APIGatewayProxyEventV2,
      );
      const body = JSON.parse(response.body) as { pagination?: { cursor: number | null } };
      statsCursor = body.pagination?.cursor ?? null;
      return response.statusCode;
    }, options);
    figures.push(
      {
        section: SECTION,
        label: 'Read API: GET /topics/{topic}/events, page of 50, one request at a time',
        value: round(eventsPage.median),
        unit: 'reads/s',
        note: `${round(eventsPage.median * PAGE).toLocaleString('en-US')} events/s; ${spread(eventsPage.rates)}`,
      },
      {
        section: SECTION,
        label: 'Read API: POST /stats/{topic}, page of 50',
        value: round(statsPage.median),
        unit: 'reads/s',
        note: spread(statsPage.rates),
      },
    );
    return {
      figures,
      details: {
        batch: BATCH,
        jobsPerRun: JOBS_PER_RUN,
        writes: { generic: genericRate, runsProjection: runsRate, statusChangeAggregate: statusRate },
        reads: { eventsPage, statsPage, page: PAGE, confDir: path.basename(conf.dir) },
      },
    };
  } finally {
    await Promise.all([generic.close(), projected.close()]);
    conf.cleanup();
  }
}

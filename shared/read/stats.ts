import { qualifiedName } from '../sinks/postgres/tables';
import type { CompiledTable } from '../sinks/postgres/projections/compile';
import { BadReadRequest, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './params';
import type { EventStore } from './store';

/** `POST /stats/{topic}` as the Python EventGate takes it; all fields optional. */
export interface StatsRequest {
  timestampStart: number;
  timestampEnd: number;
  cursor: number | null;
  limit: number;
}

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

function optionalInteger(body: Record<string, unknown>, name: string, message: string): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  // JSON booleans are not numbers here, as in Python where bool is an int subclass but refused.
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new BadReadRequest(message);
  return value;
}

/** The request body: JSON object (or nothing), window in epoch ms (last 7 days by default). */
export function parseStatsRequest(body: Buffer | null, now: number): StatsRequest {
  const text = body === null ? '' : body.toString('utf8');
  let parsed: unknown = {};
  if (text.trim() !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new BadReadRequest('Request body must be valid JSON.');
    }
  }
  if (parsed === null) parsed = {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new BadReadRequest('Request body must be a JSON object.');
  const fields = parsed as Record<string, unknown>;
  const timestampEnd =
    optionalInteger(fields, 'timestamp_end', "'timestamp_end' must be an integer (epoch milliseconds).") ??
    now;
  const timestampStart =
    optionalInteger(
      fields,
      'timestamp_start',
      "'timestamp_start' must be an integer (epoch milliseconds).",
    ) ?? now - WEEK_MS;
  const cursor = optionalInteger(fields, 'cursor', "'cursor' must be an integer.") ?? null;
  const limit = optionalInteger(fields, 'limit', "'limit' must be a positive integer.") ?? DEFAULT_PAGE_SIZE;
  if (limit < 1) throw new BadReadRequest("'limit' must be a positive integer.");
  return { timestampStart, timestampEnd, cursor, limit: Math.min(limit, MAX_PAGE_SIZE) };
}

const RUN_COLUMNS = [
  'event_id',
  'job_ref',
  'tenant_id',
  'source_app',
  'source_app_version',
  'environment',
  'timestamp_start',
  'timestamp_end',
];
const JOB_COLUMNS = [
  'country',
  'catalog_id',
  'status',
  'timestamp_start',
  'timestamp_end',
  'message',
  'additional_info',
];

/** The runs table and its jobs table, when a topic is projected in that shape. */
export function runsProjection(tables: readonly CompiledTable[]): { runs: string; jobs: string } | undefined {
  for (const table of tables) {
    const names = new Set(table.columns.map((column) => column.name));
    if (table.mode !== 'insert' || !RUN_COLUMNS.every((name) => names.has(name))) continue;
    if (table.key.length !== 1 || table.key[0] !== 'event_id') continue;
    const jobs = table.children.find((child) => {
      const childNames = new Set(child.columns.map((column) => column.name));
      return JOB_COLUMNS.every((name) => childNames.has(name));
    });
    if (jobs) return { runs: table.table, jobs: jobs.table };
  }
  return undefined;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

function dateTime(millis: number): string {
  const date = new Date(millis);
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}

function day(millis: number): string {
  const date = new Date(millis);
  return `${pad(date.getUTCDate())}-${pad(date.getUTCMonth() + 1)}-${date.getUTCFullYear()}`;
}

function millisOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

/** A failed job's message tells "no data" apart from a real failure, as the Python stats did. */
export function runStatus(status: unknown, message: unknown): string {
  if (status !== 'failed') return 'succeeded';
  const text = typeof message === 'string' ? message.toLowerCase() : '';
  if (text.includes('no data')) return 'no data received';
  if (text.includes('no records to send')) return 'no data produced';
  return 'failed';
}

function statsRow(row: Record<string, unknown>): Record<string, unknown> {
  const runStart = millisOrNull(row.run_timestamp_start);
  const start = millisOrNull(row.timestamp_start);
  const end = millisOrNull(row.timestamp_end);
  return {
    event_id: row.event_id,
    job_ref: row.job_ref,
    tenant_id: row.tenant_id,
    source_app: row.source_app,
    source_app_version: row.source_app_version,
    environment: row.environment,
    run_timestamp_start: runStart,
    run_timestamp_end: millisOrNull(row.run_timestamp_end),
    internal_id: Number(row.internal_id),
    country: row.country,
    catalog_id: row.catalog_id,
    status: row.status,
    timestamp_start: start,
    timestamp_end: end,
    message: row.message,
    additional_info: row.additional_info,
    run_date: runStart === null ? null : day(runStart),
    run_status: runStatus(row.status, row.message),
    formatted_tenant: typeof row.tenant_id === 'string' ? row.tenant_id.toLowerCase() : null,
    elapsed_time: start !== null && end !== null ? end - start : null,
    start_time: start === null ? null : dateTime(start),
    end_time: end === null ? null : dateTime(end),
  };
}

/**
 * One page of jobs of runs started in the window, newest job first, keyed by the jobs' internal_id.
 * Reads one row past the page to know whether there is more.
 */
export async function statsPage(
  store: EventStore,
  tables: { runs: string; jobs: string },
  request: StatsRequest,
): Promise<{
  data: Record<string, unknown>[];
  pagination: { cursor: number | null; has_more: boolean; limit: number };
}> {
  const runs = qualifiedName(store.projectionSchema, tables.runs);
  const jobs = qualifiedName(store.projectionSchema, tables.jobs);
  const values: unknown[] = [request.timestampStart, request.timestampEnd];
  let cursorCondition = '';
  if (request.cursor !== null) {
    values.push(request.cursor);
    cursorCondition = `AND j.internal_id < $${values.length}`;
  }
  values.push(request.limit + 1);
  const rows = await store.query(
    `SELECT r.event_id, r.job_ref, r.tenant_id, r.source_app, r.source_app_version, r.environment,
        r.timestamp_start AS run_timestamp_start, r.timestamp_end AS run_timestamp_end,
        j.internal_id, j.country, j.catalog_id, j.status, j.timestamp_start, j.timestamp_end, j.message, j.additional_info
      FROM ${jobs} j INNER JOIN ${runs} r ON j.event_id = r.event_id
      WHERE r.timestamp_start >= $1 AND r.timestamp_start <= $2 ${cursorCondition}
      ORDER BY j.internal_id DESC LIMIT $${values.length}`,
    values,
  );
  const hasMore = rows.length > request.limit;
  const page = rows.slice(0, request.limit).map(statsRow);
  const last = page[page.length - 1];
  return {
    data: page,
    pagination: {
      cursor: hasMore && last ? (last.internal_id as number) : null,
      has_more: hasMore,
      limit: request.limit,
    },
  };
}

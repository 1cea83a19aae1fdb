import { BadReadRequest, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './params';
import type { EventStore, RunJob } from './store';

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

/** A failed job's message tells "no data" apart from a real failure, as the Python stats did. */
export function runStatus(status: unknown, message: unknown): string {
  if (status !== 'failed') return 'succeeded';
  const text = typeof message === 'string' ? message.toLowerCase() : '';
  if (text.includes('no data')) return 'no data received';
  if (text.includes('no records to send')) return 'no data produced';
  return 'failed';
}

/** A job in the shape the Python stats answered with: the stored fields, then some derived for display. */
function statsRow(job: RunJob): Record<string, unknown> {
  const { runTimestampStart: runStart, timestampStart: start, timestampEnd: end } = job;
  return {
    event_id: job.eventId,
    job_ref: job.jobRef,
    tenant_id: job.tenantId,
    source_app: job.sourceApp,
    source_app_version: job.sourceAppVersion,
    environment: job.environment,
    run_timestamp_start: runStart,
    run_timestamp_end: job.runTimestampEnd,
    internal_id: job.internalId,
    country: job.country,
    catalog_id: job.catalogId,
    status: job.status,
    timestamp_start: start,
    timestamp_end: end,
    message: job.message,
    additional_info: job.additionalInfo,
    run_date: runStart === null ? null : day(runStart),
    run_status: runStatus(job.status, job.message),
    formatted_tenant: typeof job.tenantId === 'string' ? job.tenantId.toLowerCase() : null,
    elapsed_time: start !== null && end !== null ? end - start : null,
    start_time: start === null ? null : dateTime(start),
    end_time: end === null ? null : dateTime(end),
  };
}

/** One page of jobs of the topic's runs started in the window, newest job first. */
export async function statsPage(
  store: EventStore,
  topic: string,
  request: StatsRequest,
): Promise<{
  data: Record<string, unknown>[];
  pagination: { cursor: number | null; has_more: boolean; limit: number };
}> {
  const { jobs, hasMore } = await store.runJobs(topic, request);
  const last = jobs[jobs.length - 1];
  return {
    data: jobs.map(statsRow),
    pagination: {
      cursor: hasMore && last ? last.internalId : null,
      has_more: hasMore,
      limit: request.limit,
    },
  };
}

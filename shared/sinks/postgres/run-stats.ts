import type { RunJob } from '../../read/store';
import type { StatsRequest } from '../../read/stats';
import type { CompiledTable } from './projections/compile';

/** The columns a projection needs for its runs table and its jobs table to be read by stats. */
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

/** A runs table and its jobs table (names as configured, or schema-qualified once resolved). */
export interface RunsTables {
  runs: string;
  jobs: string;
}

/** The runs table and its jobs table, when a topic is projected in that shape. */
export function runsProjection(tables: readonly CompiledTable[]): RunsTables | undefined {
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

/**
 * The statement reading one page of jobs of runs started in the window, newest job first, keyed by
 * the jobs' internal_id. It reads one row past the page, to know whether there is more.
 */
export function runJobsStatement(
  tables: RunsTables,
  request: StatsRequest,
): { text: string; values: unknown[] } {
  const values: unknown[] = [request.timestampStart, request.timestampEnd];
  let cursorCondition = '';
  if (request.cursor !== null) {
    values.push(request.cursor);
    cursorCondition = `AND j.internal_id < $${values.length}`;
  }
  values.push(request.limit + 1);
  return {
    text: `SELECT r.event_id, r.job_ref, r.tenant_id, r.source_app, r.source_app_version, r.environment,
        r.timestamp_start AS run_timestamp_start, r.timestamp_end AS run_timestamp_end,
        j.internal_id, j.country, j.catalog_id, j.status, j.timestamp_start, j.timestamp_end, j.message, j.additional_info
      FROM ${tables.jobs} j INNER JOIN ${tables.runs} r ON j.event_id = r.event_id
      WHERE r.timestamp_start >= $1 AND r.timestamp_start <= $2 ${cursorCondition}
      ORDER BY j.internal_id DESC LIMIT $${values.length}`,
    values,
  };
}

/** pg hands bigint columns over as text. */
function millisOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

export function toRunJob(row: Record<string, unknown>): RunJob {
  return {
    eventId: row.event_id,
    jobRef: row.job_ref,
    tenantId: row.tenant_id,
    sourceApp: row.source_app,
    sourceAppVersion: row.source_app_version,
    environment: row.environment,
    runTimestampStart: millisOrNull(row.run_timestamp_start),
    runTimestampEnd: millisOrNull(row.run_timestamp_end),
    internalId: Number(row.internal_id),
    country: row.country,
    catalogId: row.catalog_id,
    status: row.status,
    timestampStart: millisOrNull(row.timestamp_start),
    timestampEnd: millisOrNull(row.timestamp_end),
    message: row.message,
    additionalInfo: row.additional_info,
  };
}

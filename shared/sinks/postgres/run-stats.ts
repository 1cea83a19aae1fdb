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
  /**
   * An index of the runs table starts with `timestamp_start`: the window's runs can be counted and
   * read without scanning the table. (The jobs are always found by run: their key starts with it.)
   */
  startIndexed: boolean;
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
    const startIndexed = [table.key, ...table.indexes].some((columns) => columns[0] === 'timestamp_start');
    if (jobs) return { runs: table.table, jobs: jobs.table, startIndexed };
  }
  return undefined;
}

/**
 * Windows holding fewer runs than this are read runs first. The planner reads a page newest job
 * first, walking the jobs' key backward and keeping those whose run started in the window: a few
 * rows when the window holds the newest runs, but every newer job when it lies in the past, and
 * every older job on a window's last page, since it cannot know that job order follows run time.
 * Reading the window's runs by their start index, then their jobs, costs what the window holds
 * instead; past a few thousand runs that is more than the walk usually costs.
 */
export const RUNS_FIRST_BELOW = 2_000;

export type RunJobsPlan = 'newest-jobs-first' | 'runs-first';

/** Counts the window's runs, up to RUNS_FIRST_BELOW: what runJobsStatement's plan is chosen by. */
export function windowRunsStatement(
  tables: RunsTables,
  request: StatsRequest,
): { text: string; values: unknown[] } {
  return {
    text: `SELECT count(*)::int AS runs FROM (SELECT 1 FROM ${tables.runs}
      WHERE timestamp_start >= $1 AND timestamp_start <= $2 LIMIT $3) window_runs`,
    values: [request.timestampStart, request.timestampEnd, RUNS_FIRST_BELOW],
  };
}

export function runJobsPlan(runsInWindow: number): RunJobsPlan {
  return runsInWindow < RUNS_FIRST_BELOW ? 'runs-first' : 'newest-jobs-first';
}

/**
 * The statement reading one page of jobs of runs started in the window, newest job first, keyed by
 * the jobs' internal_id. It reads one row past the page, to know whether there is more. Both plans
 * give the same rows; `runs-first` makes Postgres gather the window's runs before their jobs (a
 * materialised CTE is planned on its own).
 */
export function runJobsStatement(
  tables: RunsTables,
  request: StatsRequest,
  plan: RunJobsPlan = 'newest-jobs-first',
): { text: string; values: unknown[] } {
  const values: unknown[] = [request.timestampStart, request.timestampEnd];
  let cursorCondition = '';
  if (request.cursor !== null) {
    values.push(request.cursor);
    cursorCondition = `AND j.internal_id < $${values.length}`;
  }
  values.push(request.limit + 1);
  const columns = `r.event_id, r.job_ref, r.tenant_id, r.source_app, r.source_app_version, r.environment,
        r.timestamp_start AS run_timestamp_start, r.timestamp_end AS run_timestamp_end,
        j.internal_id, j.country, j.catalog_id, j.status, j.timestamp_start, j.timestamp_end, j.message, j.additional_info`;
  const page = `ORDER BY j.internal_id DESC LIMIT $${values.length}`;
  if (plan === 'runs-first') {
    return {
      text: `WITH r AS MATERIALIZED (SELECT event_id, job_ref, tenant_id, source_app, source_app_version,
          environment, timestamp_start, timestamp_end FROM ${tables.runs}
          WHERE timestamp_start >= $1 AND timestamp_start <= $2)
        SELECT ${columns}
        FROM r INNER JOIN ${tables.jobs} j ON j.event_id = r.event_id
        WHERE true ${cursorCondition}
        ${page}`,
      values,
    };
  }
  return {
    text: `SELECT ${columns}
      FROM ${tables.jobs} j INNER JOIN ${tables.runs} r ON j.event_id = r.event_id
      WHERE r.timestamp_start >= $1 AND r.timestamp_start <= $2 ${cursorCondition}
      ${page}`,
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

import { describeError } from '../../errors/describe';

/**
 * How a failed statement is handled depends on who is at fault: the rows (retrying will never help),
 * or the database or the network (a later attempt may well succeed).
 */
export type PostgresFailureKind =
  /** A value was rejected (bad JSON text, NUL byte, malformed uuid or timestamp, constraint). */
  | 'data'
  /** The connection is gone or unusable; the client must be discarded. */
  | 'connection'
  /** The server refused the statement for another reason (permissions, missing table, timeout). */
  | 'server';

const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * The SQLSTATE of an error the server sent, or undefined for client-side and network errors. Server
 * errors carry a severity; that tells them apart from Node's socket errors, whose codes (EPIPE) can
 * look like a SQLSTATE.
 */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  if (typeof severity !== 'string') return undefined;
  return typeof code === 'string' && SQLSTATE.test(code) ? code : undefined;
}

export function classifyPostgresError(error: unknown): PostgresFailureKind {
  const state = sqlState(error);
  // No SQLSTATE: a socket error (ECONNREFUSED, ECONNRESET…), a connect or read timeout, or the
  // connection ended under us. Whatever the client was doing, it cannot be trusted any more.
  if (state === undefined) return 'connection';
  const errorClass = state.slice(0, 2);
  // 22 data exception, 23 integrity constraint; 54000 covers values too large for jsonb.
  if (errorClass === '22' || errorClass === '23' || state === '54000') return 'data';
  // 08 connection exception; 57P01-57P05 the server is shutting down or restarting.
  if (errorClass === '08' || /^57P0[1-5]$/.test(state)) return 'connection';
  return 'server';
}

/** Postgres undefined_table: the table vanished after we created it (dropped by hand, restored backup). */
export function isUndefinedTable(error: unknown): boolean {
  return sqlState(error) === '42P01';
}

/** One line describing a failure without echoing row values beyond what the server put in its message. */
export function describePostgresError(error: unknown): string {
  const state = sqlState(error);
  const message = describeError(error);
  return state ? `${message} (SQLSTATE ${state})` : message;
}

/**
 * The slice of `pg` the Postgres sink relies on. `pg.Pool` satisfies it; tests pass stubs that count
 * statements or fail on cue.
 */
export interface PostgresQueryResult {
  rows: Record<string, unknown>[];
  rowCount: number | null;
}

/**
 * A statement the server keeps parsed and planned per connection under `name` (pg sends its text
 * only the first time a connection sees the name).
 */
export interface NamedStatement {
  name: string;
  text: string;
}

export interface PostgresPoolClient {
  query(
    statement: string | (NamedStatement & { values?: unknown[] }),
    values?: unknown[],
  ): Promise<PostgresQueryResult>;
  /** `true` (or an error) destroys the connection instead of returning it to the pool. */
  release(destroy?: boolean | Error): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
}

export interface PostgresPool {
  query(text: string, values?: unknown[]): Promise<PostgresQueryResult>;
  connect(): Promise<PostgresPoolClient>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** A connection borrowed from the pool for a sequence of statements. */
export interface BorrowedClient {
  query(statement: string | NamedStatement, values?: unknown[]): Promise<PostgresQueryResult>;
  /** Hands the connection back; `discard` drops it, as must happen after it broke or its state is unknown. */
  release(discard: boolean): void;
}

/**
 * Borrows a connection. While we hold it, the pool no longer listens for its errors, and a socket
 * that dies between two of our statements would raise an unhandled 'error' and end the process; we
 * listen ourselves and drop such a connection on release.
 */
export async function borrowClient(pool: PostgresPool): Promise<BorrowedClient> {
  const client = await pool.connect();
  let lost = false;
  const onError = (): void => {
    lost = true;
  };
  client.on('error', onError);
  let released = false;
  return {
    query: (statement, values) =>
      typeof statement === 'string'
        ? client.query(statement, values)
        : client.query({ ...statement, values }),
    release(discard) {
      if (released) return;
      released = true;
      client.off('error', onError);
      client.release(discard || lost);
    },
  };
}

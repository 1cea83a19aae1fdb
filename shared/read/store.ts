import type { StatsRequest } from './stats';

/** An event as the read API returns it. */
export interface StoredEvent {
  eventId: string;
  topic: string;
  receivedAt: string;
  subject: string | null;
  correlationId: string | null;
  key: string | null;
  payload: unknown;
  /** When the sink that serves reads stored it. */
  storedAt: string | null;
}

export interface EventPage<Row> {
  rows: Row[];
  cursor: string | null;
  hasMore: boolean;
}

/** Which events of a topic a page holds: received in [since, until), after the cursor. */
export interface EventWindow {
  since?: Date;
  until?: Date;
  /** A cursor this store handed out; any other text is a BadReadRequest. */
  cursor?: string;
  limit: number;
}

/**
 * One job of a run, as `POST /stats/{topic}` reads it: the run's fields and the job's own. Times are
 * epoch milliseconds; the other values are passed on as stored.
 */
export interface RunJob {
  eventId: unknown;
  jobRef: unknown;
  tenantId: unknown;
  sourceApp: unknown;
  sourceAppVersion: unknown;
  environment: unknown;
  runTimestampStart: number | null;
  runTimestampEnd: number | null;
  /** Orders the jobs, newest highest; the stats cursor is the last one a page returned. */
  internalId: number;
  country: unknown;
  catalogId: unknown;
  status: unknown;
  timestampStart: number | null;
  timestampEnd: number | null;
  message: unknown;
  additionalInfo: unknown;
}

/** The store could not answer (down, too slow, refusing): a 503, unlike a missing event. */
export class StoreUnavailable extends Error {
  override readonly name = 'StoreUnavailable';
}

/** How the read API's connections behave; where they go is the sink's own configuration. */
export interface ReadStoreSettings {
  /** Server-side limit per statement. Default 5 000 ms. */
  statementTimeoutMs?: number;
  poolMax?: number;
  connectTimeoutMs?: number;
}

/**
 * What the read API needs of the store of the sink that serves reads, which that sink's definition
 * opens (`readStore` in shared/sinks/definition.ts). It only reads. A store that cannot answer
 * throws StoreUnavailable; one that refuses a value it was given (a cursor it never handed out)
 * throws BadReadRequest (./params.ts).
 */
export interface EventStore {
  event(topic: string, eventId: string): Promise<StoredEvent | undefined>;
  /** Events received in the window, oldest first; keyset pagination. */
  events(topic: string, window: EventWindow): Promise<EventPage<StoredEvent>>;
  /** Topics stored in the runs → jobs shape that stats read, in configuration order. */
  statsTopics(): readonly string[];
  /**
   * Jobs of the topic's runs started in [timestampStart, timestampEnd], newest first, before the
   * cursor (an internalId); at most `limit` of them, and whether there are more.
   */
  runJobs(topic: string, request: StatsRequest): Promise<{ jobs: RunJob[]; hasMore: boolean }>;
  close(): Promise<void>;
}

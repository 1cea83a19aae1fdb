import type { ApiError } from '../http/response';

/** Version of the quarantine record layout; bump on an incompatible change. */
export const QUARANTINE_RECORD_VERSION = 1;

/** At most this many errors are kept per record: enough to act on, and the record stays small. */
export const MAX_KEPT_ERRORS = 50;

/**
 * An event refused for schema or field-rule reasons, kept with everything needed to judge it and
 * to deliver it later exactly as it would have been: its id is fixed when it is first refused.
 */
export interface QuarantineRecord {
  v: typeof QUARANTINE_RECORD_VERSION;
  /** The event id it gets when delivered; the same on every replay. */
  id: string;
  topic: string;
  subject: string | null;
  correlationId: string;
  receivedAt: string;
  /** When it was (last) put in quarantine: first refusal, or the last replay that refused it again. */
  quarantinedAt: string;
  /** The schema version the request's EventGate-Schema-Version header pinned, if any. */
  pinnedVersion: number | null;
  errors: ApiError[];
  /** The event exactly as the producer sent it. */
  event: unknown;
  /** Replays that refused it again. */
  replays: number;
}

export class MalformedQuarantineRecordError extends Error {
  override readonly name = 'MalformedQuarantineRecordError';
}

export function parseQuarantineRecord(body: string): QuarantineRecord {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new MalformedQuarantineRecordError('quarantine message is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedQuarantineRecordError('quarantine message is not a JSON object');
  }
  const record = value as Record<string, unknown>;
  if (record.v !== QUARANTINE_RECORD_VERSION) {
    throw new MalformedQuarantineRecordError(`unsupported quarantine record version ${String(record.v)}`);
  }
  for (const field of ['id', 'topic', 'correlationId', 'receivedAt', 'quarantinedAt'] as const) {
    if (typeof record[field] !== 'string') {
      throw new MalformedQuarantineRecordError(`quarantine record field "${field}" is missing`);
    }
  }
  if (!Array.isArray(record.errors) || !('event' in record)) {
    throw new MalformedQuarantineRecordError('quarantine record has no errors or no event');
  }
  return record as unknown as QuarantineRecord;
}

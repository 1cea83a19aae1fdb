import type { ApiError } from '../http/response';
import type { Topic } from '../topics/registry';
import { MAX_KEPT_ERRORS, QUARANTINE_RECORD_VERSION, type QuarantineRecord } from './record';
import type { QuarantineKeeper } from './keeper';

/** An event the per-event checks refused for a reason a schema or field-rule change can fix. */
export interface RefusedEvent {
  index: number;
  id: string;
  event: unknown;
  errors: ApiError[];
}

export interface RefusalContext {
  topic: Topic;
  subject: string | null;
  correlationId: string;
  receivedAt: Date;
  pinnedVersion: number | null;
}

/** Error types that a new schema version or a changed access rule can turn into an acceptance. */
const QUARANTINABLE = new Set(['validation', 'schema_version', 'permission']);

export function isQuarantinable(errors: readonly ApiError[]): boolean {
  return errors.length > 0 && errors.every((error) => QUARANTINABLE.has(error.type));
}

/**
 * Keeps the refused events of a quarantine-enabled topic and answers the indexes it kept. The
 * producer's answer stays the refusal; keeping is best effort and never fails the request.
 */
export async function quarantineRefused(
  keeper: QuarantineKeeper | undefined,
  refused: readonly RefusedEvent[],
  context: RefusalContext,
): Promise<Set<number>> {
  if (!keeper || !context.topic.quarantine || refused.length === 0) return new Set();
  const at = context.receivedAt.toISOString();
  const records: QuarantineRecord[] = refused.map((item) => ({
    v: QUARANTINE_RECORD_VERSION,
    id: item.id,
    topic: context.topic.name,
    subject: context.subject,
    correlationId: context.correlationId,
    receivedAt: at,
    quarantinedAt: at,
    pinnedVersion: context.pinnedVersion,
    errors: item.errors.slice(0, MAX_KEPT_ERRORS),
    event: item.event,
    replays: 0,
  }));
  const kept = await keeper.keep(records);
  return new Set(refused.filter((item) => kept.has(item.id)).map((item) => item.index));
}

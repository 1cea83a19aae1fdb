/**
 * Benchmark events: valid for the shipped topic schemas and about 1 KB of JSON each, padded in a
 * free-form field so that every event has the same size.
 */
export const EVENT_BYTES = 1024;

/** The async example topic (routed to every configured sink's queue). */
export const ASYNC_TOPIC = 'public.cps.za.dlchange';
export const ASYNC_SUBJECT = 'FooUser';
/** The sync example topic (written inline to its sinks). */
export const SYNC_TOPIC = 'public.cps.za.test';
export const SYNC_SUBJECT = 'TestUser';

function padded(event: Record<string, unknown>): Record<string, unknown> {
  const withPad = { ...event, additional_info: { note: '' } };
  const missing = EVENT_BYTES - Buffer.byteLength(JSON.stringify(withPad));
  withPad.additional_info.note = 'x'.repeat(Math.max(0, missing));
  return withPad;
}

export function asyncTopicEvent(eventId: string): Record<string, unknown> {
  return padded({
    event_id: eventId,
    tenant_id: 'avms',
    source_app: 'eventgate-bench',
    source_app_version: '1.0.0',
    environment: 'dev',
    timestamp_event: 1_700_000_000_000,
    country: 'za',
    catalog_id: 'bench.orders.daily',
    operation: 'append',
    location: 's3://bench-lake/orders/daily/2024/01/01/part-00000.parquet',
    format: 'parquet',
    format_options: { compression: 'snappy', partition_by: ['year', 'month', 'day'] },
  });
}

export function syncTopicEvent(eventId: string): Record<string, unknown> {
  return padded({
    event_id: eventId,
    tenant_id: 'avms',
    source_app: 'eventgate-bench',
    environment: 'dev',
    timestamp: 1_700_000_000_000,
  });
}

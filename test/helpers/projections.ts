import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createEnvelope, type Envelope } from '../../shared/envelope';
import {
  compileProjections,
  type CompiledProjections,
} from '../../shared/sinks/postgres/projections/compile';
import type { ProjectionsSetting } from '../../shared/sinks/postgres/projections/spec';

/** The projections shipped in conf/config.json, compiled as the sink compiles them. */
export function shippedProjections(): CompiledProjections {
  const file = path.join(__dirname, '..', '..', 'conf', 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as { postgres: { projections: ProjectionsSetting } };
  return compileProjections(config.postgres.projections);
}

/** A runs event with `jobCount` jobs, as a producer would publish it. */
export function runsPayload(
  n: number,
  jobCount: number,
  startMs = 1_767_225_600_000 + n * 1000,
): Record<string, unknown> {
  return {
    event_id: `run-${n}`,
    job_ref: `ref-${n}`,
    tenant_id: n % 2 === 0 ? 'AVMS' : 'Dem',
    source_app: 'app',
    source_app_version: '1.0',
    environment: 'dev',
    timestamp_start: startMs,
    timestamp_end: startMs + 500,
    jobs: Array.from({ length: jobCount }, (_, j) => ({
      country: 'za',
      catalog_id: `catalog-${n}-${j}`,
      status: j % 3 === 0 ? 'failed' : 'succeeded',
      timestamp_start: startMs + j,
      timestamp_end: startMs + j + 100,
      message: j % 3 === 0 ? 'no data found' : null,
      additional_info: { attempt: j },
    })),
  };
}

/** An envelope whose id follows the payload's event_id, as with `id_field` set. */
export function envelopeOf(topic: string, payload: Record<string, unknown>, receivedAt?: Date): Envelope {
  return createEnvelope({
    topic,
    payload,
    subject: 'IntegrationTestUser',
    correlationId: 'test',
    idempotencyKey: String(payload.event_id),
    receivedAt,
  });
}

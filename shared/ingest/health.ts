import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { GatewayState } from '../gateway/state';
import { json, type HttpResponse } from '../http/response';
import type { SinkProvider } from '../delivery/sync';
import { withTimeout } from '../timeout';
import { SINK_NAMES } from '../sinks/catalog';
import type { SinkName } from '../sinks/types';

export interface HealthDependencies {
  sqs: SQSClient;
  queueUrls: Partial<Record<SinkName, string>>;
  sinks: SinkProvider;
  startedAt: number;
  timeoutMs?: number;
}

/** A check's verdict: 'ok', or why not (its error, or that it did not answer in time). */
function bounded(check: () => Promise<string>, timeoutMs: number): Promise<string> {
  return withTimeout(check(), timeoutMs, 'health check').catch((error: Error) => error.message);
}

/**
 * GET /health: each sink is checked the way this gateway uses it — its queue for async topics, the
 * sink itself for sync topics — so a 200 means accepted events can leave the gateway.
 */
export async function health(state: GatewayState, deps: HealthDependencies): Promise<HttpResponse> {
  const timeoutMs = deps.timeoutMs ?? 2000;
  const usage = new Map<SinkName, Set<'sync' | 'async'>>();
  for (const name of state.topics.names()) {
    const topic = state.topics.get(name);
    if (!topic) continue;
    for (const sink of topic.sinks) {
      const modes = usage.get(sink) ?? new Set();
      modes.add(topic.mode);
      usage.set(sink, modes);
    }
  }

  const dependencies: Record<string, string> = {};
  // Without its signing keys the gateway turns every producer away with 401: that is not healthy.
  const keys = state.keys;
  dependencies.tokens = keys
    ? await bounded(async () => ((await keys.getKeys()).length > 0 ? 'ok' : 'no signing keys'), timeoutMs)
    : 'no signing keys configured: set token_public_keys_url (or the tokenPublicKeysUrl deploy parameter)';
  await Promise.all(
    SINK_NAMES.map(async (sink) => {
      const modes = usage.get(sink);
      if (!modes) {
        dependencies[sink] = 'not configured';
        return;
      }
      const checks: Array<Promise<string>> = [];
      if (modes.has('async')) {
        const queueUrl = deps.queueUrls[sink];
        checks.push(
          queueUrl
            ? bounded(async () => {
                await deps.sqs.send(
                  new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
                );
                return 'ok';
              }, timeoutMs)
            : Promise.resolve('queue not configured'),
        );
      }
      if (modes.has('sync')) {
        checks.push(
          bounded(async () => {
            const result = await (await deps.sinks(sink)).health();
            return result.status === 'down' ? result.message : result.status;
          }, timeoutMs),
        );
      }
      const results = await Promise.all(checks);
      dependencies[sink] = results.find((result) => result !== 'ok') ?? 'ok';
    }),
  );

  const failures = Object.fromEntries(
    Object.entries(dependencies).filter(([, status]) => status !== 'ok' && status !== 'not configured'),
  );
  if (Object.keys(failures).length > 0) return json(503, { status: 'degraded', failures, dependencies });
  return json(200, {
    status: 'ok',
    uptime_seconds: Math.floor((Date.now() - deps.startedAt) / 1000),
    dependencies,
  });
}

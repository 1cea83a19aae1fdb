import type { Delivery } from '../delivery/types';
import type { GatewayState } from '../gateway/state';
import { json, type HttpResponse } from '../http/response';
import type { SinkName } from '../sinks/types';
import type { TopicMode } from '../config/settings';
import { withTimeout } from '../timeout';
import { describeError } from '../errors/describe';

export interface HealthDependencies {
  deliveries: Record<TopicMode, Delivery>;
  /** Every sink EventGate knows, in the order the answer lists them. */
  sinkNames: readonly SinkName[];
  startedAt: number;
  timeoutMs?: number;
}

/** In the order their verdicts are reported when a sink is used both ways: its queue first. */
const MODES: readonly TopicMode[] = ['async', 'sync'];

/** The sinks each way of delivery is used for by the loaded topics. */
function sinksByMode(state: GatewayState): Record<TopicMode, Set<SinkName>> {
  const usage: Record<TopicMode, Set<SinkName>> = { sync: new Set(), async: new Set() };
  for (const name of state.topics.names()) {
    const topic = state.topics.get(name);
    if (topic) for (const sink of topic.sinks) usage[topic.mode].add(sink);
  }
  return usage;
}

/**
 * GET /health: each sink is checked the way this gateway uses it, by the delivery that topics use
 * (its queue for async topics, the sink itself for sync topics), so a 200 means accepted events can
 * leave the gateway.
 */
export async function health(state: GatewayState, deps: HealthDependencies): Promise<HttpResponse> {
  const timeoutMs = deps.timeoutMs ?? 2000;
  const usage = sinksByMode(state);
  const keys = state.keys;
  const [tokens, ...verdicts] = await Promise.all([
    // Without its signing keys the gateway turns every producer away with 401: that is not healthy.
    keys
      ? withTimeout(keys.getKeys(), timeoutMs, 'health check').then(
          (found) => (found.length > 0 ? 'ok' : 'no signing keys'),
          describeError,
        )
      : Promise.resolve(
          'no signing keys configured: set token_public_keys_url (or the tokenPublicKeysUrl deploy parameter)',
        ),
    ...MODES.map((mode) => deps.deliveries[mode].health([...usage[mode]], timeoutMs)),
  ]);

  const dependencies: Record<string, string> = { tokens: tokens as string };
  for (const sink of deps.sinkNames) {
    const results = verdicts.flatMap((verdict) => {
      const result = verdict.get(sink);
      return result === undefined ? [] : [result];
    });
    // A sink no topic uses is not a dependency of this gateway.
    dependencies[sink] =
      results.length === 0 ? 'not configured' : (results.find((result) => result !== 'ok') ?? 'ok');
  }

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

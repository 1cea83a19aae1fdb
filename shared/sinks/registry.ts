import type { GatewayConfig } from '../config/settings';
import { sinkCatalog, type SinkCatalog } from './catalog';
import type { Sink, SinkName } from './types';

/**
 * Lazily created sinks, one instance per name, reused across invocations. Each definition loads
 * its client library only when its sink is first built, so a function that never writes to Kafka
 * or Postgres never loads their clients.
 */
export class SinkRegistry {
  private readonly created = new Map<SinkName, Promise<Sink>>();

  constructor(
    private readonly config: GatewayConfig,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly catalog: SinkCatalog = sinkCatalog,
  ) {}

  get(name: SinkName): Promise<Sink> {
    let sink = this.created.get(name);
    if (!sink) {
      sink = Promise.resolve().then(() => this.catalog.get(name).create(this.config, this.env));
      // A failed construction (bad config, unreachable secret) is retried on the next use.
      sink.catch(() => this.created.delete(name));
      this.created.set(name, sink);
    }
    return sink;
  }

  async closeAll(): Promise<void> {
    const sinks = await Promise.allSettled(this.created.values());
    this.created.clear();
    await Promise.allSettled(
      sinks.map((result) => (result.status === 'fulfilled' ? result.value.close() : undefined)),
    );
  }
}

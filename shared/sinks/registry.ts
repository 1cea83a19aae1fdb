import type { GatewayConfig } from '../config/settings';
import { ConfigError } from '../config/source';
import type { Sink, SinkName } from './types';

/**
 * Builds a sink from config. Each sink module is imported only when its sink is first used, so a
 * function that never writes to Kafka or Postgres never loads their clients.
 */
async function createSink(name: SinkName, config: GatewayConfig, env: NodeJS.ProcessEnv): Promise<Sink> {
  switch (name) {
    case 'kafka': {
      const { KafkaSink, kafkaSinkOptionsFromConfig } = await import('./kafka');
      const options = kafkaSinkOptionsFromConfig(config);
      if (!options) throw new ConfigError('the kafka sink is not configured (kafka_bootstrap_server)');
      return new KafkaSink(options);
    }
    case 'eventbridge': {
      const { EventBridgeSink, eventBridgeSinkOptionsFromConfig } = await import('./eventbridge');
      const options = eventBridgeSinkOptionsFromConfig(config);
      if (!options) throw new ConfigError('the eventbridge sink is not configured (event_bus_arn)');
      return new EventBridgeSink(options);
    }
    case 'postgres': {
      const { PostgresSink } = await import('./postgres');
      const { postgresSinkOptionsFromConfig } = await import('./postgres-config');
      const options = await postgresSinkOptionsFromConfig(config, env);
      if (!options)
        throw new ConfigError('the postgres sink is not configured (DATABASE_URL, postgres.url or secret)');
      return new PostgresSink(options);
    }
    case 's3': {
      const { S3ArchiveSink, s3ArchiveSinkOptionsFromConfig } = await import('./s3');
      const options = s3ArchiveSinkOptionsFromConfig(config);
      if (!options) throw new ConfigError('the s3 sink is not configured (s3_archive.bucket)');
      return new S3ArchiveSink(options);
    }
  }
}

/** Lazily created sinks, one instance per name, reused across invocations. */
export class SinkRegistry {
  private readonly created = new Map<SinkName, Promise<Sink>>();

  constructor(
    private readonly config: GatewayConfig,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  get(name: SinkName): Promise<Sink> {
    let sink = this.created.get(name);
    if (!sink) {
      sink = createSink(name, this.config, this.env);
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

import type { GatewayConfig } from '../config/settings';
import { ConfigError } from '../config/errors';
import type { Sink, SinkName } from './types';

/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * Builds a sink from config. Each sink module is required only when its sink is first used, so a
 * function that never writes to Kafka or Postgres never loads their clients. (`require` rather than
 * `import()`, which would bypass the CommonJS loader hook the CLI runs under.)
 */
async function createSink(name: SinkName, config: GatewayConfig, env: NodeJS.ProcessEnv): Promise<Sink> {
  switch (name) {
    case 'kafka': {
      const { KafkaSink, kafkaSinkOptionsFromConfig } =
        require('./kafka/sink') as typeof import('./kafka/sink');
      const options = kafkaSinkOptionsFromConfig(config);
      if (!options) throw new ConfigError('the kafka sink is not configured (kafka_bootstrap_server)');
      return new KafkaSink(options);
    }
    case 'eventbridge': {
      const { EventBridgeSink, eventBridgeSinkOptionsFromConfig } =
        require('./eventbridge/sink') as typeof import('./eventbridge/sink');
      const options = eventBridgeSinkOptionsFromConfig(config);
      if (!options) throw new ConfigError('the eventbridge sink is not configured (event_bus_arn)');
      return new EventBridgeSink(options);
    }
    case 'postgres': {
      const { PostgresSink, postgresSinkOptionsFromConfig } =
        require('./postgres/sink') as typeof import('./postgres/sink');
      const options = await postgresSinkOptionsFromConfig(config, env);
      if (!options)
        throw new ConfigError('the postgres sink is not configured (DATABASE_URL, postgres.url or secret)');
      return new PostgresSink(options);
    }
    case 's3': {
      const { S3ArchiveSink, s3ArchiveSinkOptionsFromConfig } =
        require('./s3/sink') as typeof import('./s3/sink');
      const options = s3ArchiveSinkOptionsFromConfig(config);
      if (!options) throw new ConfigError('the s3 sink is not configured (s3_archive.bucket)');
      return new S3ArchiveSink(options);
    }
  }
}

/* eslint-enable @typescript-eslint/no-require-imports */

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

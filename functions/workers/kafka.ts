import { ConfigError } from '../../shared/config/errors';
import { createSinkWorker } from '../../shared/queue/sink-worker';
import { KafkaSink, kafkaSinkOptionsFromConfig } from '../../shared/sinks/kafka/sink';

/** Kafka queue → Kafka, one sendBatch per SQS batch. */
export const handler = createSinkWorker('kafka', (config) => {
  const options = kafkaSinkOptionsFromConfig(config);
  if (!options) throw new ConfigError('the kafka sink is not configured (kafka_bootstrap_server)');
  return new KafkaSink(options);
});

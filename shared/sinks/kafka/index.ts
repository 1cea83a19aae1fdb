/* eslint-disable @typescript-eslint/no-require-imports */
import type { Json } from '../../deploy/cloudformation';
import { arnMatching, optionalText } from '../../deploy/parameter-rules';
import { defineSink } from '../definition';
import { kafkaEventBytes, KAFKA_MAX_MESSAGE_BYTES } from '../limits';
import type { KafkaSinkOptions } from './sink';
import { kafkaSettings, type KafkaConfigKeys } from './settings';

// The client module is required when the sink is built, never at load: `require` rather than
// `import()`, which would bypass the CommonJS loader hook the CLI runs under.
const client = (): typeof import('./sink') => require('./sink') as typeof import('./sink');

const MSK_CLUSTER_ARN = /^arn:aws[\w-]*:kafka:[\w-]+:\d{12}:cluster\/[^/]+\/[^/]+$/;

/** cluster/<name>/<uuid> → topic/<name>/<uuid>/* : the cluster's topics, and nothing else's. */
function mskTopicsArn(clusterArn: string): string {
  return `${clusterArn.replace(':cluster/', ':topic/')}/*`;
}

/** Kafka (kafkajs): one sendBatch per batch, acknowledged by all in-sync replicas. */
export const kafkaSink = defineSink<KafkaSinkOptions>({
  name: 'kafka',
  settings: kafkaSettings,
  configuredBy: 'kafka_bootstrap_server',
  isConfigured: (config) => Boolean((config as KafkaConfigKeys).kafka_bootstrap_server),
  clientOptions: (config) => client().kafkaSinkOptionsFromConfig(config as KafkaConfigKeys),
  createSink: (options) => new (client().KafkaSink)(options),
  clientPackages: ['kafkajs'],
  admission: {
    // Beyond the queue message, a record adds only the header names (78 bytes).
    room: () => KAFKA_MAX_MESSAGE_BYTES - 128,
    oversize(event, payloadJson) {
      const bytes = kafkaEventBytes(event, payloadJson);
      return bytes > KAFKA_MAX_MESSAGE_BYTES
        ? `event is ${bytes} bytes as a Kafka record (value, key and headers); the kafka sink takes at most ${KAFKA_MAX_MESSAGE_BYTES}`
        : null;
    },
  },
  deploy: {
    parameters: {
      kafkaBrokers: optionalText,
      mskClusterArn: arnMatching(
        'MSK cluster',
        MSK_CLUSTER_ARN,
        'arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>',
      ),
    },
    contribute({ parameter }) {
      const brokers = parameter('kafkaBrokers');
      const clusterArn = parameter('mskClusterArn');
      const environment: Record<string, Json> =
        brokers === undefined ? {} : { KAFKA_BOOTSTRAP_SERVER: brokers };
      return {
        environment,
        requiredParameters:
          brokers === undefined
            ? [
                {
                  parameter: 'kafkaBrokers',
                  reason: 'the bootstrap brokers the worker connects to (host:port,…)',
                },
              ]
            : [],
        // Brokers (MSK or self-managed) usually listen only inside a VPC.
        vpcAccess: true,
        // Without an MSK cluster the brokers authenticate the worker themselves: IAM grants nothing.
        statements:
          clusterArn === undefined
            ? []
            : [
                {
                  Sid: 'ConnectToCluster',
                  Effect: 'Allow',
                  Action: ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'],
                  Resource: [clusterArn],
                },
                {
                  Sid: 'WriteTopics',
                  Effect: 'Allow',
                  Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
                  Resource: [mskTopicsArn(clusterArn)],
                },
              ],
      };
    },
  },
});

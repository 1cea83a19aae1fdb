import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { Kafka, logLevel } from 'kafkajs';
import type { LocalRuntime } from '../../../shared/local/runtime';
import { createTestConf, type TestConf } from '../../helpers/gateway';
import { startEventBridgeServer, type EventBridgeServerHandle } from '../../peers/eventbridge-server';
import { startKafkaMock, type KafkaMockHandle } from '../../peers/kafka';

export async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  // A probe that fails (say, a table not created yet) counts as not done yet.
  const attempt = async (): Promise<T | undefined> => probe().catch(() => undefined);
  let last = await attempt();
  while (last === undefined || !done(last)) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    last = await attempt();
  }
  return last;
}

export function sqsFor(runtime: LocalRuntime): SQSClient {
  return new SQSClient({
    endpoint: runtime.sqsEndpoint,
    region: runtime.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const result = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(result.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(result.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** Receives and deletes everything in a queue, returning the bodies. */
export async function drainBodies(sqs: SQSClient, queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const result = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (!result.Messages?.length) return bodies;
    for (const message of result.Messages) {
      bodies.push(message.Body ?? '');
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export const testEvent = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  event_id: id,
  tenant_id: 'avms',
  source_app: 'jest',
  source_app_version: '1',
  environment: 'dev',
  timestamp: 1_700_000_000_000,
  timestamp_event: 1_700_000_000_000,
  catalog_id: 'c',
  operation: 'append',
  format: 'parquet',
  ...extra,
});

export interface EverySinkPeers {
  conf: TestConf;
  kafka: KafkaMockHandle;
  eventBridge: EventBridgeServerHandle;
  stop(): Promise<void>;
}

/**
 * A test conf routed to every sink with a real peer behind each: the Kafka mock cluster and the
 * PutEvents server started here, Postgres from the caller. The SDK finds the PutEvents server
 * through its standard endpoint variable, as it would any EventBridge-compatible endpoint.
 */
export async function startEverySinkPeers(): Promise<EverySinkPeers> {
  const [conf, kafka, eventBridge] = await Promise.all([
    createTestConf(),
    startKafkaMock(),
    startEventBridgeServer(),
  ]);
  conf.setConfig({
    kafka_bootstrap_server: kafka.brokers.join(','),
    kafka: { idempotent: false },
    event_bus_arn: 'arn:aws:events:us-east-1:000000000000:event-bus/eventgate',
  });
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = eventBridge.endpoint;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  return {
    conf,
    kafka,
    eventBridge,
    async stop() {
      await Promise.all([kafka.stop(), eventBridge.stop()]);
      conf.cleanup();
    },
  };
}

/** Every Kafka message of a topic, from the beginning, until `enough` says so or the time is up. */
export async function consumeKafka(
  brokers: string[],
  topic: string,
  enough: (headers: Array<Record<string, string>>) => boolean,
  timeoutMs = 60_000,
): Promise<Array<Record<string, string>>> {
  const received: Array<Record<string, string>> = [];
  const consumer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).consumer({
    groupId: `test-${Math.random().toString(36).slice(2)}`,
    sessionTimeout: 3000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 500,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push(
          Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
          ),
        );
      },
    });
    await waitFor(
      async () => received.length,
      () => enough(received),
      timeoutMs,
      `Kafka messages on ${topic}`,
    );
    return received;
  } finally {
    await consumer.disconnect();
  }
}

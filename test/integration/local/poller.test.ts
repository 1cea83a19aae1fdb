/**
 * The local event-source mapping against a real SQS server (fauxqs): with `concurrency` above one,
 * a second batch is received and handled while the first is still being written, and every
 * message is still handled once and deleted.
 */
import { CreateQueueCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { EventSourcePoller } from '../../../shared/local/poller';
import { queueDepth, waitFor } from '../async/helpers';
import { sharedFauxqs } from '../cli/sink-queues';

let sqs: SQSClient;
sharedFauxqs((_server, client) => {
  sqs = client;
}, 'poller-');

async function queueWith(name: string, messages: number): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const queueUrl = QueueUrl as string;
  for (let first = 0; first < messages; first += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Array.from({ length: Math.min(10, messages - first) }, (_, index) => ({
          Id: String(index),
          MessageBody: `message-${first + index}`,
        })),
      }),
    );
  }
  return queueUrl;
}

function pollerFor(
  queueUrl: string,
  concurrency: number | undefined,
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>,
): EventSourcePoller {
  return new EventSourcePoller({
    sqs,
    queueUrl,
    queueArn: 'arn:aws:sqs:us-east-1:000000000000:test',
    region: 'us-east-1',
    batchSize: 10,
    batchWindowMs: 0,
    waitSeconds: 0,
    ...(concurrency === undefined ? {} : { concurrency }),
    handler,
  });
}

describe('EventSourcePoller', () => {
  it('hands a second batch to the worker while the first is still being written', async () => {
    const queueUrl = await queueWith('poller-overlap', 40);
    const handled: string[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    let releaseFirst: () => void = () => undefined;
    const firstHeld = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    let batches = 0;
    const poller = pollerFor(queueUrl, 3, async (event) => {
      batches += 1;
      const batch = batches;
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      // The first batch is "written" only once a later one has started alongside it.
      if (batch === 1) await firstHeld;
      else releaseFirst();
      handled.push(...event.Records.map((record) => record.body));
      inFlight -= 1;
      return { batchItemFailures: [] };
    });
    poller.start();
    try {
      await waitFor(
        async () => handled.length,
        (count) => count >= 40,
        15_000,
        'every message handled',
      );
      await waitFor(
        () => queueDepth(sqs, queueUrl),
        (depth) => depth === 0,
        15_000,
        'every message deleted',
      );
    } finally {
      await poller.stop(5_000);
    }
    expect(mostInFlight).toBeGreaterThan(1);
    expect(handled.sort()).toEqual(Array.from({ length: 40 }, (_, index) => `message-${index}`).sort());
  });

  it('keeps one batch at a time by default', async () => {
    const queueUrl = await queueWith('poller-serial', 30);
    let inFlight = 0;
    let mostInFlight = 0;
    let handled = 0;
    const poller = pollerFor(queueUrl, undefined, async (event) => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      handled += event.Records.length;
      inFlight -= 1;
      return { batchItemFailures: [] };
    });
    poller.start();
    try {
      await waitFor(
        async () => handled,
        (count) => count >= 30,
        15_000,
        'every message handled',
      );
    } finally {
      await poller.stop(5_000);
    }
    expect(mostInFlight).toBe(1);
  });
});

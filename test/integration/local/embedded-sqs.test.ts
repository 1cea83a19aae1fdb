/**
 * The embedded SQS server as the local runtime starts it: its own process, its queues in SQLite on
 * disk, and the runtime's direct calls (send, receive, delete over the IPC channel) next to the SQS
 * API over HTTP that everything else uses. The two paths must be one queue with one set of rules,
 * and an answered send must survive the server being killed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type Message,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { startEmbeddedSqs, type EmbeddedSqs } from '../../../shared/local/embedded-sqs';
import { routeDirectCalls } from '../../../shared/local/sqs-direct-client';
import { fauxqsClientConfig } from '../../peers/fauxqs';

jest.setTimeout(60_000);

let queueCounter = 0;

async function eventually<T>(probe: () => T | Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the embedded SQS server on disk, over HTTP and over the direct channel', () => {
  let stateDir: string;
  let server: EmbeddedSqs;
  let overHttp: SQSClient;
  let direct: SQSClient;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'eventgate-embedded-sqs-'));
    server = await startEmbeddedSqs({ dataDir: stateDir });
    overHttp = new SQSClient(fauxqsClientConfig(server.endpoint));
    direct = new SQSClient(fauxqsClientConfig(server.endpoint));
    routeDirectCalls(direct, server.directCalls);
  });
  afterAll(async () => {
    overHttp?.destroy();
    direct?.destroy();
    await server?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function queue(attributes: Record<string, string> = {}): Promise<string> {
    queueCounter += 1;
    const created = await overHttp.send(
      new CreateQueueCommand({ QueueName: `direct-${queueCounter}`, Attributes: attributes }),
    );
    return created.QueueUrl as string;
  }

  /** Kills the server process as `kill -9` would and waits until its supervisor has started another. */
  async function killServer(): Promise<void> {
    const before = server.pid();
    process.kill(before as number, 'SIGKILL');
    await eventually(
      () => (server.status() === 'ok' ? server.pid() : undefined),
      (pid) => pid !== undefined && pid !== before,
    );
  }

  async function receiveAll(client: SQSClient, queueUrl: string, expected: number): Promise<Message[]> {
    const messages: Message[] = [];
    await eventually(
      async () => {
        const { Messages = [] } = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, expected - messages.length),
            WaitTimeSeconds: 0,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        messages.push(...Messages);
        return messages.length;
      },
      (count) => count >= expected,
    );
    return messages;
  }

  it('is one queue: what one path sends the other receives, with the same attributes and checksums', async () => {
    const queueUrl = await queue();
    const entry = (body: string): SendMessageBatchRequestEntry => ({
      Id: '0',
      MessageBody: body,
      MessageAttributes: { topic: { DataType: 'String', StringValue: 't.1' } },
    });
    const sentDirectly = await direct.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [entry('{"via":"direct"}')] }),
    );
    const sentOverHttp = await overHttp.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [entry('{"via":"http"}')] }),
    );
    // The SDK checks the MD5s of what HTTP answered; the direct answer carries the same ones.
    expect(sentDirectly.Successful?.[0]?.MD5OfMessageBody).toMatch(/^[0-9a-f]{32}$/);
    expect(sentDirectly.Successful?.[0]?.MD5OfMessageAttributes).toBe(
      sentOverHttp.Successful?.[0]?.MD5OfMessageAttributes,
    );

    const overHttpGot = await receiveAll(overHttp, queueUrl, 1);
    const directGot = await receiveAll(direct, queueUrl, 1);
    expect([overHttpGot[0]?.Body, directGot[0]?.Body].sort()).toEqual(['{"via":"direct"}', '{"via":"http"}']);
    for (const message of [...overHttpGot, ...directGot]) {
      expect(message.MessageAttributes?.topic?.StringValue).toBe('t.1');
      expect(message.Attributes?.ApproximateReceiveCount).toBe('1');
    }
  });

  it('counts receives on both paths and moves a message to its DLQ after maxReceiveCount', async () => {
    const dlqUrl = await queue();
    const { Attributes } = await overHttp.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
    );
    const queueUrl = await queue({
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: 2 }),
    });
    await direct.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: '0', MessageBody: 'poison' }] }),
    );
    for (const [client, receive] of [
      [direct, 1],
      [overHttp, 2],
    ] as const) {
      const [message] = await receiveAll(client, queueUrl, 1);
      expect(message?.Attributes?.ApproximateReceiveCount).toBe(String(receive));
      // Released at once, as a worker's failed batch is retried.
      await overHttp.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message?.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    }
    const third = await direct.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }));
    expect(third.Messages).toBeUndefined();
    const [parked] = await receiveAll(overHttp, dlqUrl, 1);
    expect(parked?.Body).toBe('poison');
  });

  it('makes a message visible again at once on a visibility change to 0, and keeps its receive count across a restart', async () => {
    const queueUrl = await queue({ VisibilityTimeout: '300' });
    await direct.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: '0', MessageBody: 'again' }] }),
    );
    const [first] = await receiveAll(direct, queueUrl, 1);
    // What `eventgate dlq peek --local` and a worker's back-off do; fauxqs 2.4.1 lost the message
    // from its memory here (until a restart) and answered ReceiptHandleIsInvalid.
    const released = await overHttp.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: [{ Id: '0', ReceiptHandle: first?.ReceiptHandle, VisibilityTimeout: 0 }],
      }),
    );
    expect(released.Failed ?? []).toEqual([]);
    const [second] = await receiveAll(direct, queueUrl, 1);
    expect(second?.Attributes?.ApproximateReceiveCount).toBe('2');
    await overHttp.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: second?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );

    await killServer();
    const [third] = await receiveAll(overHttp, queueUrl, 1);
    expect(third?.Body).toBe('again');
    expect(third?.Attributes?.ApproximateReceiveCount).toBe('3');
  });

  it('keeps every answered send through kill -9 of the server process', async () => {
    const queueUrl = await queue();
    const bodies = Array.from({ length: 300 }, (_, index) => `event-${index}`);
    // Concurrent, as requests arrive: they travel and are committed in groups.
    await Promise.all(
      bodies.map((body) =>
        direct.send(
          new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: '0', MessageBody: body }] }),
        ),
      ),
    );
    await killServer();
    const received = await receiveAll(direct, queueUrl, bodies.length);
    expect(received.map((message) => message.Body).sort()).toEqual([...bodies].sort());
  });
});

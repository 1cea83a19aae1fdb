/**
 * The local runtime's SQS client sends the calls every event makes over the embedded server's IPC
 * channel (shared/local/sqs-direct-client.ts). Here the channel is a recording stand-in and the
 * HTTP transport a recording fake, so what takes which path, and what the callers get back, is
 * seen exactly.
 */
import { Readable } from 'node:stream';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { createEnvelope } from '../../../shared/envelope';
import { directBatchSender, DirectSqsCalls, routeDirectCalls } from '../../../shared/local/sqs-direct-client';
import { QueuePublisher } from '../../../shared/queue/publisher';
import type { DirectResult, ToSqsServer } from '../../../shared/local/sqs-direct-protocol';
import { DirectCallServer } from '../../../shared/local/sqs-direct-server';

const QUEUE_URL = 'http://sqs.us-east-1.localhost:1/000000000000/eventgate-local-postgres';

interface Harness {
  sqs: SQSClient;
  calls: DirectSqsCalls;
  /** What went over the IPC channel. */
  posted: ToSqsServer[];
  /** The commands that went over HTTP instead. */
  overHttp: string[];
}

function harness(): Harness {
  const posted: ToSqsServer[] = [];
  const overHttp: string[] = [];
  const calls = new DirectSqsCalls();
  calls.connect({ post: (message) => posted.push(message) });
  const sqs = new SQSClient({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    md5: false,
    requestHandler: {
      handle: async (request: { headers: Record<string, string> }) => {
        overHttp.push(request.headers['x-amz-target'] ?? '');
        return {
          response: {
            statusCode: 200,
            headers: { 'content-type': 'application/x-amz-json-1.0' },
            body: Readable.from([Buffer.from('{}')]),
          },
        };
      },
    },
  });
  routeDirectCalls(sqs, calls);
  return { sqs, calls, posted, overHttp };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function postedCalls(message: ToSqsServer | undefined): Extract<ToSqsServer, { type: 'calls' }>['calls'] {
  if (message?.type !== 'calls') throw new Error(`expected calls, got ${JSON.stringify(message)}`);
  return message.calls;
}

describe('direct SQS calls of the local runtime', () => {
  it('sends the calls of one event-loop turn in one message and gives each caller its output', async () => {
    const { sqs, calls, posted, overHttp } = harness();
    const sent = sqs.send(
      new SendMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: [{ Id: '0', MessageBody: '{"a":1}' }] }),
    );
    const received = sqs.send(
      new ReceiveMessageCommand({ QueueUrl: QUEUE_URL, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const deleted = sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: [{ Id: '0', ReceiptHandle: 'r-1' }] }),
    );
    await nextTurn();
    await nextTurn();

    expect(posted).toHaveLength(1);
    const group = postedCalls(posted[0]);
    expect(group.map((call) => call.action)).toEqual([
      'SendMessageBatch',
      'ReceiveMessage',
      'DeleteMessageBatch',
    ]);
    expect(group[0]?.input).toEqual({ QueueUrl: QUEUE_URL, Entries: [{ Id: '0', MessageBody: '{"a":1}' }] });

    calls.settle([
      { id: group[0]?.id as number, output: { Successful: [{ Id: '0', MessageId: 'm-1' }], Failed: [] } },
      { id: group[1]?.id as number, output: { Messages: [{ MessageId: 'm-1', Body: '{"a":1}' }] } },
      { id: group[2]?.id as number, output: { Successful: [{ Id: '0' }], Failed: [] } },
    ]);
    expect(await sent).toMatchObject({
      Successful: [{ Id: '0', MessageId: 'm-1' }],
      $metadata: { httpStatusCode: 200 },
    });
    expect((await received).Messages?.[0]?.Body).toBe('{"a":1}');
    expect((await deleted).Successful).toEqual([{ Id: '0' }]);
    expect(overHttp).toEqual([]);
  });

  it('holds sends back while earlier sends are unanswered, then posts them together; other calls go at once', async () => {
    const { calls, posted } = harness();
    const send = (body: string) =>
      calls.call('SendMessageBatch', { QueueUrl: QUEUE_URL, Entries: [{ Id: '0', MessageBody: body }] });
    const first = send('1');
    await nextTurn();
    expect(posted).toHaveLength(1);
    const [firstCall] = postedCalls(posted[0]);

    // Two more sends, on turns of their own, while the first is unanswered: nothing goes yet.
    const second = send('2');
    await nextTurn();
    const third = send('3');
    await nextTurn();
    expect(posted).toHaveLength(1);

    // A receive is not held back (it may long-poll, and nothing is gained by waiting): it goes at
    // once, and the held sends with it.
    const received = calls.call('ReceiveMessage', { QueueUrl: QUEUE_URL });
    await nextTurn();
    expect(posted).toHaveLength(2);
    const group = postedCalls(posted[1]);
    expect(group.map((call) => call.action)).toEqual([
      'SendMessageBatch',
      'SendMessageBatch',
      'ReceiveMessage',
    ]);

    // Answered: the next send goes alone again only once those are answered.
    const fourth = send('4');
    await nextTurn();
    expect(posted).toHaveLength(2);
    calls.settle([{ id: firstCall?.id as number, output: { Successful: [{ Id: '0' }], Failed: [] } }]);
    expect(posted).toHaveLength(2);
    calls.settle(group.map((call) => ({ id: call.id, output: { Successful: [{ Id: '0' }], Failed: [] } })));
    // The group in flight is answered: the held send goes at once, without waiting for a turn.
    expect(posted).toHaveLength(3);
    const [fourthCall] = postedCalls(posted[2]);
    calls.settle([{ id: fourthCall?.id as number, output: { Successful: [{ Id: '0' }], Failed: [] } }]);
    for (const answer of await Promise.all([first, second, third, received, fourth]))
      expect(answer).toEqual({ Successful: [{ Id: '0' }], Failed: [] });
  });

  it('fails held sends too when the server goes away', async () => {
    const { calls, posted } = harness();
    const first = calls.call('SendMessageBatch', { QueueUrl: QUEUE_URL, Entries: [] });
    await nextTurn();
    const held = calls.call('SendMessageBatch', { QueueUrl: QUEUE_URL, Entries: [] });
    await nextTurn();
    expect(posted).toHaveLength(1);
    calls.disconnect('killed');
    await expect(first).rejects.toThrow(/stopped: killed/);
    await expect(held).rejects.toThrow(/stopped: killed/);
  });

  it('carries the queue publisher’s enqueues too, entries as the publisher wrote them', async () => {
    const { sqs, calls, posted, overHttp } = harness();
    const publisher = new QueuePublisher({
      client: sqs,
      queueUrls: { postgres: QUEUE_URL },
      sender: directBatchSender(calls),
    });
    const envelope = createEnvelope({ topic: 't', payload: { n: 1 }, subject: 's', correlationId: 'c' });
    const report = publisher.deliver(['postgres'], [envelope]);
    await nextTurn();
    const [call] = postedCalls(posted[0]);
    expect(call?.action).toBe('SendMessageBatch');
    // The entries travel as the JSON the publisher wrote; the server parses them (below).
    const input = call?.input as { QueueUrl: string; EntriesJson: string };
    expect(Object.keys(input).sort()).toEqual(['EntriesJson', 'QueueUrl']);
    expect(input.QueueUrl).toBe(QUEUE_URL);
    expect(JSON.parse(input.EntriesJson)).toEqual([
      {
        Id: '0',
        MessageBody: JSON.stringify(envelope),
        MessageAttributes: {
          topic: { DataType: 'String', StringValue: 't' },
          eventId: { DataType: 'String', StringValue: envelope.id },
        },
      },
    ]);
    calls.settle([
      { id: call?.id as number, output: { Successful: [{ Id: '0', MessageId: 'm-1' }], Failed: [] } },
    ]);
    expect([...(await report)]).toEqual([]);
    expect(overHttp).toEqual([]);
  });

  it("reports the server's refusal as an SQS service error named by its code", async () => {
    const { sqs, calls, posted } = harness();
    const sent = sqs.send(
      new SendMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: [{ Id: '0', MessageBody: 'x' }] }),
    );
    await nextTurn();
    const [call] = postedCalls(posted[0]);
    calls.settle([
      {
        id: call?.id as number,
        error: {
          code: 'QueueDoesNotExist',
          message: 'The specified queue does not exist.',
          senderFault: true,
        },
      },
    ]);
    const error = await sent.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SQSServiceException);
    expect(error).toMatchObject({ name: 'QueueDoesNotExist', $fault: 'client' });
  });

  it('fails the calls the server had not answered when its process goes away, and new ones at once', async () => {
    const { sqs, calls } = harness();
    const sent = sqs.send(
      new SendMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: [{ Id: '0', MessageBody: 'x' }] }),
    );
    await nextTurn();
    calls.disconnect('signal SIGKILL');
    await expect(sent).rejects.toThrow('the embedded SQS server stopped: signal SIGKILL');
    await expect(
      sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL, WaitTimeSeconds: 0 })),
    ).rejects.toThrow('not running');
  });

  it('leaves every other command, and sends with binary attributes, to HTTP', async () => {
    const { sqs, posted, overHttp } = harness();
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: QUEUE_URL, AttributeNames: ['All'] }));
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: QUEUE_URL,
        Entries: [
          {
            Id: '0',
            MessageBody: 'x',
            MessageAttributes: { blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2]) } },
          },
        ],
      }),
    );
    expect(overHttp).toEqual(['AmazonSQS.GetQueueAttributes', 'AmazonSQS.SendMessageBatch']);
    expect(posted).toEqual([]);
  });

  it('hands received binary attributes over as bytes, as the SDK does with the JSON protocol', async () => {
    const { sqs, calls, posted } = harness();
    const received = sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL, WaitTimeSeconds: 0 }));
    await nextTurn();
    const [call] = postedCalls(posted[0]);
    calls.settle([
      {
        id: call?.id as number,
        output: {
          Messages: [
            {
              MessageId: 'm-1',
              Body: 'x',
              MessageAttributes: {
                blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2]).toString('base64') },
              },
            },
          ],
        },
      },
    ]);
    const blob = (await received).Messages?.[0]?.MessageAttributes?.blob?.BinaryValue;
    expect(blob).toBeInstanceOf(Uint8Array);
    expect([...(blob as Uint8Array)]).toEqual([1, 2]);
  });
});

describe('DirectCallServer', () => {
  function server(): {
    accepted: Array<Record<string, unknown>>;
    results: DirectResult[];
    direct: DirectCallServer<null>;
  } {
    const accepted: Array<Record<string, unknown>> = [];
    const results: DirectResult[] = [];
    const record = (input: Record<string, unknown>) => {
      accepted.push(input);
      return { Successful: [], Failed: [] };
    };
    const direct = new DirectCallServer<null>({
      actions: { SendMessageBatch: record, ReceiveMessage: record, DeleteMessageBatch: record },
      store: null,
      transaction: (work) => work(),
      reply: (answers) => results.push(...answers),
    });
    return { accepted, results, direct };
  }

  it('hands the action entries sent as JSON text as the objects the SQS protocol carries', async () => {
    const { accepted, results, direct } = server();
    const entries = [{ Id: '0', MessageBody: '{"a":"\\"quoted\\""}' }];
    direct.accept([
      {
        id: 1,
        action: 'SendMessageBatch',
        input: { QueueUrl: QUEUE_URL, EntriesJson: JSON.stringify(entries) },
      },
      { id: 2, action: 'SendMessageBatch', input: { QueueUrl: QUEUE_URL, Entries: entries } },
    ]);
    await nextTurn();
    await nextTurn();
    expect(accepted).toEqual([
      { QueueUrl: QUEUE_URL, Entries: entries },
      { QueueUrl: QUEUE_URL, Entries: entries },
    ]);
    expect(results.map((result) => result.id).sort()).toEqual([1, 2]);
  });

  it('answers entries that are not JSON with an error, not a crash', async () => {
    const { accepted, results, direct } = server();
    direct.accept([{ id: 7, action: 'SendMessageBatch', input: { QueueUrl: QUEUE_URL, EntriesJson: '[{' } }]);
    await nextTurn();
    await nextTurn();
    expect(accepted).toEqual([]);
    expect(results).toEqual([{ id: 7, error: expect.objectContaining({ code: 'InternalError' }) }]);
  });
});

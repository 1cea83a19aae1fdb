import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  SendMessageBatchCommand,
  SQSClient,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { createEnvelope, type Envelope } from '../../../shared/envelope';
import {
  MAX_QUEUE_MESSAGE_BYTES,
  queueMessageBody,
  SQS_MAX_PAYLOAD_BYTES,
} from '../../../shared/queue/publisher';
import {
  createWorkerHandler,
  DEAD_LETTER_ATTRIBUTES,
  type WorkerOptions,
} from '../../../shared/queue/worker';
import { SinkError, type DeliveryOutcome, type Sink } from '../../../shared/sinks/types';

const quietMetrics = {
  addMetric: () => undefined,
  singleMetric: () => ({ addDimension: () => undefined, addMetric: () => undefined }),
  hasStoredMetrics: () => false,
  publishStoredMetrics: () => undefined,
} as unknown as Metrics;

interface Calls {
  parked: SendMessageBatchRequestEntry[];
  deleted: string[];
  delayed: Array<{ handle: string; seconds: number }>;
}

function stubSqs(calls: Calls, dlq: 'ok' | 'throws' | 'refuses-first' = 'ok'): SQSClient {
  const sqs = new SQSClient({ region: 'us-east-1' });
  sqs.send = (async (command: unknown) => {
    if (command instanceof SendMessageBatchCommand) {
      if (dlq === 'throws') throw new Error('DLQ unreachable');
      const entries = command.input.Entries ?? [];
      const refused = dlq === 'refuses-first' ? entries.slice(0, 1) : [];
      calls.parked.push(...entries.filter((entry) => !refused.includes(entry)));
      return {
        Successful: entries.filter((entry) => !refused.includes(entry)).map((entry) => ({ Id: entry.Id })),
        Failed: refused.map((entry) => ({ Id: entry.Id, SenderFault: false, Code: 'InternalError' })),
      };
    }
    if (command instanceof DeleteMessageBatchCommand) {
      calls.deleted.push(...(command.input.Entries ?? []).map((entry) => entry.ReceiptHandle as string));
      return {};
    }
    if (command instanceof ChangeMessageVisibilityBatchCommand) {
      for (const entry of command.input.Entries ?? [])
        calls.delayed.push({
          handle: entry.ReceiptHandle as string,
          seconds: entry.VisibilityTimeout as number,
        });
      return {};
    }
    throw new Error('unexpected command');
  }) as unknown as SQSClient['send'];
  return sqs;
}

function record(envelope: Envelope | string, n: number): SQSRecord {
  const body = typeof envelope === 'string' ? envelope : queueMessageBody(envelope);
  return {
    messageId: `m-${n}`,
    receiptHandle: `r-${n}`,
    body,
    attributes: { ApproximateReceiveCount: '2' },
    messageAttributes:
      typeof envelope === 'string'
        ? {}
        : {
            topic: { dataType: 'String', stringValue: envelope.topic },
            eventId: { dataType: 'String', stringValue: envelope.id },
          },
  } as unknown as SQSRecord;
}

/** A sink that refuses for good the events whose payload says so, and is down for the ones that say so. */
const judgingSink: Sink = {
  name: 'postgres',
  write: async (events) =>
    events.map((event): DeliveryOutcome => {
      const verdict = (event.payload as { verdict?: string }).verdict;
      if (verdict === 'poison')
        return {
          id: event.id,
          ok: false,
          error: new SinkError('postgres', `event ${event.id} rejected: ${'é'.repeat(2_000)}`, false),
        };
      if (verdict === 'down')
        return { id: event.id, ok: false, error: new SinkError('postgres', 'connection refused', true) };
      return { id: event.id, ok: true };
    }),
  health: async () => ({ status: 'ok' }),
  close: async () => undefined,
};

const envelope = (verdict: string, extra: Record<string, unknown> = {}): Envelope =>
  createEnvelope({ topic: 'topic.a', payload: { verdict, ...extra }, subject: 's', correlationId: 'c' });

function workerWith(
  calls: Calls,
  overrides: Partial<WorkerOptions> = {},
  dlq: Parameters<typeof stubSqs>[1] = 'ok',
) {
  return createWorkerHandler({
    sinkName: 'postgres',
    sink: async () => judgingSink,
    queueUrl: 'https://sqs.local/queue',
    dlqUrl: 'https://sqs.local/dlq',
    sqs: stubSqs(calls, dlq),
    backoff: { baseSeconds: 10, maxSeconds: 900 },
    metrics: quietMetrics,
    ...overrides,
  });
}

const freshCalls = (): Calls => ({ parked: [], deleted: [], delayed: [] });

describe('the worker parks events no retry will deliver', () => {
  it('sends them to the DLQ with the reason, deletes them, and retries only the transient failures', async () => {
    const calls = freshCalls();
    const batch = [envelope('fine'), envelope('poison'), envelope('down'), 'not json'].map((item, n) =>
      record(item, n),
    );
    const response = await workerWith(calls)({ Records: batch });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-2' }]);
    expect(calls.parked.map((entry) => entry.MessageBody)).toEqual([batch[1]?.body, 'not json']);
    expect(calls.deleted).toEqual(['r-1', 'r-3']);
    expect(calls.delayed).toEqual([{ handle: 'r-2', seconds: 20 }]);
    const attributes = calls.parked[0]?.MessageAttributes ?? {};
    expect(attributes.topic).toEqual({ DataType: 'String', StringValue: 'topic.a' });
    expect(attributes[DEAD_LETTER_ATTRIBUTES.attempt]).toEqual({ DataType: 'Number', StringValue: '2' });
    // A long reason is cut between characters to its byte budget.
    const reason = attributes[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue ?? '';
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(512);
    expect(reason.endsWith('é…')).toBe(true);
  });

  it('keeps a parked message of the largest size within what SQS takes, attributes included', async () => {
    const calls = freshCalls();
    const probe = envelope('poison', { pad: '' });
    const padded = envelope('poison', {
      pad: 'p'.repeat(MAX_QUEUE_MESSAGE_BYTES - Buffer.byteLength(queueMessageBody(probe))),
    });
    expect(Buffer.byteLength(queueMessageBody(padded))).toBe(MAX_QUEUE_MESSAGE_BYTES);
    await workerWith(calls)({ Records: [record(padded, 0)] });
    const [entry] = calls.parked;
    let bytes = Buffer.byteLength(entry?.MessageBody ?? '');
    for (const [name, value] of Object.entries(entry?.MessageAttributes ?? {}))
      bytes +=
        Buffer.byteLength(name) +
        Buffer.byteLength(value.DataType ?? '') +
        Buffer.byteLength(value.StringValue ?? '');
    expect(bytes).toBeLessThanOrEqual(SQS_MAX_PAYLOAD_BYTES);
  });

  it('falls back to the retry schedule when the DLQ cannot be reached, so nothing is lost', async () => {
    const calls = freshCalls();
    const response = await workerWith(calls, {}, 'throws')({ Records: [record(envelope('poison'), 0)] });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(calls.deleted).toEqual([]);
    expect(calls.delayed).toEqual([{ handle: 'r-0', seconds: 20 }]);
  });

  it('retries just the entries the DLQ refused', async () => {
    const calls = freshCalls();
    const batch = [envelope('poison'), envelope('poison')].map((item, n) => record(item, n));
    const response = await workerWith(calls, {}, 'refuses-first')({ Records: batch });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(calls.deleted).toEqual(['r-1']);
  });

  it('without a DLQ URL, leaves them to maxReceiveCount as before', async () => {
    const calls = freshCalls();
    const response = await workerWith(calls, { dlqUrl: undefined })({
      Records: [record(envelope('poison'), 0)],
    });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(calls.parked).toEqual([]);
  });
});

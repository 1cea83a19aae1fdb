/**
 * with the shipped topology, a sink may be down for an hour before any event
 * reaches its DLQ. Measured on the worker itself: the delay it asks SQS for after each failed
 * receive, up to the receive after which the redrive policy moves the message.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ChangeMessageVisibilityBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { createEnvelope } from '../../../shared/envelope';
import { retrySchedule, sinkQueueSettings } from '../../../shared/queue/topology';
import { createWorkerHandler } from '../../../shared/queue/worker';
import { SINK_NAMES } from '../../../shared/sinks/catalog';
import { SinkError, type Sink, type SinkName } from '../../../shared/sinks/types';

const ONE_HOUR = 3600;

const quietMetrics = {
  addMetric: () => undefined,
  singleMetric: () => ({ addDimension: () => undefined, addMetric: () => undefined }),
  hasStoredMetrics: () => false,
  publishStoredMetrics: () => undefined,
} as unknown as Metrics;

/** The visibility timeout the worker sets after a retryable failure on the given receive. */
async function delayAfterFailedReceive(sinkName: SinkName, receiveCount: number): Promise<number> {
  const settings = sinkQueueSettings(sinkName);
  const asked: number[] = [];
  const sqs = new SQSClient({ region: 'us-east-1' });
  sqs.send = (async (command: unknown) => {
    if (command instanceof ChangeMessageVisibilityBatchCommand) {
      for (const entry of command.input.Entries ?? []) asked.push(entry.VisibilityTimeout as number);
    }
    return {};
  }) as unknown as SQSClient['send'];
  const down: Sink = {
    name: sinkName,
    write: async (events) =>
      events.map((event) => ({
        id: event.id,
        ok: false as const,
        error: new SinkError(sinkName, 'peer down', true),
      })),
    health: async () => ({ status: 'ok' }),
    close: async () => undefined,
  };
  // Wired as shared/queue/sink-worker.ts wires the deployed worker.
  const worker = createWorkerHandler({
    sinkName,
    sink: async () => down,
    queueUrl: 'https://sqs.local/queue',
    sqs,
    backoff: { baseSeconds: settings.retryBaseSeconds, maxSeconds: settings.retryMaxSeconds },
    metrics: quietMetrics,
  });
  const envelope = createEnvelope({ topic: 't', payload: { a: 1 }, subject: 's', correlationId: 'c' });
  const record = {
    messageId: 'm-1',
    receiptHandle: 'r-1',
    body: JSON.stringify(envelope),
    attributes: { ApproximateReceiveCount: String(receiveCount) },
    messageAttributes: {},
  } as unknown as SQSRecord;
  const response = await worker({ Records: [record] });
  expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
  expect(asked).toHaveLength(1);
  return asked[0] as number;
}

describe('the default retry schedule', () => {
  test.each(SINK_NAMES)(
    '%s: covers at least an hour of outage before the DLQ, and reaches retryMaxSeconds',
    async (sink) => {
      const settings = sinkQueueSettings(sink);
      const delays: number[] = [];
      // Receives 1..maxReceiveCount can fail and be retried; the next receive moves the message to the DLQ.
      for (let receive = 1; receive <= settings.maxReceiveCount; receive++)
        delays.push(await delayAfterFailedReceive(sink, receive));
      const total = delays.reduce((sum, delay) => sum + delay, 0);
      expect(total).toBeGreaterThanOrEqual(ONE_HOUR);
      expect(Math.max(...delays)).toBe(settings.retryMaxSeconds);
      // Each wait is one SQS may grant (12 hours at most).
      expect(Math.max(...delays)).toBeLessThanOrEqual(12 * ONE_HOUR);
      expect(retrySchedule(settings).map((step) => step.delaySeconds)).toEqual(delays);
    },
  );

  test('is the one the README documents, attempt by attempt', () => {
    const readme = readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('| attempt that failed |'));
    const rows = [...section.matchAll(/^\| (\d+) +\| (\d+) s +\| (\d+) s \(([^)]*)\) +\|$/gm)].map(
      (match) => ({
        attempt: Number(match[1]),
        delaySeconds: Number(match[2]),
        totalSeconds: Number(match[3]),
      }),
    );
    expect(rows).toEqual(retrySchedule(sinkQueueSettings('postgres')));
    for (const sink of SINK_NAMES) expect(retrySchedule(sinkQueueSettings(sink))).toEqual(rows);
  });
});

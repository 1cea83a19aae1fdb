import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSEvent } from 'aws-lambda';
import { createEnvelope } from '../../../shared/envelope';
import { createWorkerHandler } from '../../../shared/queue/worker';
import { SinkError, type Sink } from '../../../shared/sinks/types';

// The deployed FailedEvents alarm watches one metric per sink, without the topic dimension. The
// worker's metrics are checked here in the EMF lines Powertools prints, as CloudWatch reads them.

interface EmfLine {
  _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> };
  [field: string]: unknown;
}

function recordsOf(count: number): SQSEvent {
  return {
    Records: Array.from({ length: count }, (_, n) => ({
      messageId: `m${n}`,
      receiptHandle: `r${n}`,
      body: JSON.stringify(
        createEnvelope({
          topic: n % 2 ? 'a.topic' : 'b.topic',
          payload: { n },
          subject: 's',
          correlationId: `c${n}`,
        }),
      ),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '0',
        SenderId: 'x',
        ApproximateFirstReceiveTimestamp: '0',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:eventgate-dev-postgres',
      awsRegion: 'eu-west-1',
    })),
  };
}

/** A sink whose destination is down: every event fails, retryably. */
const downSink: Sink = {
  name: 'postgres',
  write: async (events) =>
    events.map((event) => ({
      id: event.id,
      ok: false,
      error: new SinkError('postgres', 'connection refused'),
    })),
  health: async () => ({ status: 'down', message: 'connection refused' }),
  close: async () => undefined,
};

describe('worker metrics', () => {
  let printed: string[];
  let write: jest.SpyInstance;
  const previous = process.env.POWERTOOLS_METRICS_DISABLED;

  beforeEach(() => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    printed = [];
    write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    write.mockRestore();
    process.env.POWERTOOLS_METRICS_DISABLED = previous;
  });

  it('publishes FailedEvents per sink, without the topic, when a whole batch fails', async () => {
    const metrics = new Metrics({
      namespace: 'EventGate',
      serviceName: 'eventgate-dev',
      defaultDimensions: { sink: 'postgres' },
    });
    const worker = createWorkerHandler({ sinkName: 'postgres', sink: async () => downSink, metrics });
    const response = await worker(recordsOf(5));
    expect(response.batchItemFailures).toHaveLength(5);

    const lines = printed
      .flatMap((text) => text.split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as EmfLine);
    const failedEvents = lines.filter((line) =>
      line._aws.CloudWatchMetrics.some((entry) =>
        entry.Metrics.some((metric) => metric.Name === 'FailedEvents'),
      ),
    );
    expect(failedEvents).toHaveLength(1);
    const [line] = failedEvents as [EmfLine];
    expect(line.FailedEvents).toBe(5);
    expect(line._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'sink']]);
    expect(line).toMatchObject({ service: 'eventgate-dev', sink: 'postgres' });
  });
});

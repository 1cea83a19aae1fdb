import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One series the fake returns for a GetMetricData query, matched by the queue name it asks about. */
export interface FakeSeries {
  queueName: string;
  /** Epoch seconds, in any order. */
  timestamps: number[];
  values: number[];
}

export interface GetMetricDataCall {
  body: Record<string, unknown>;
  target: string;
}

export interface FakeCloudWatch {
  endpoint: string;
  calls: GetMetricDataCall[];
  stop(): Promise<void>;
}

interface MetricQuery {
  Id: string;
  MetricStat?: { Metric?: { Dimensions?: Array<{ Name: string; Value: string }> } };
}

/**
 * CloudWatch's GetMetricData over the AWS JSON 1.0 protocol the SDK speaks, on 127.0.0.1. Nothing in
 * npm or Debian emulates CloudWatch metrics, so this answers with the series it was given and
 * records every request for the test to inspect.
 */
export async function startFakeCloudWatch(series: readonly FakeSeries[]): Promise<FakeCloudWatch> {
  const calls: GetMetricDataCall[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      calls.push({ body, target });
      response.setHeader('content-type', 'application/x-amz-json-1.0');
      if (target !== 'GraniteServiceVersion20100801.GetMetricData') {
        response.statusCode = 400;
        response.end(JSON.stringify({ __type: 'InvalidAction', message: `unsupported ${target}` }));
        return;
      }
      const queries = (body.MetricDataQueries ?? []) as MetricQuery[];
      const results = queries.map((query) => {
        const queueName = query.MetricStat?.Metric?.Dimensions?.find((d) => d.Name === 'QueueName')?.Value;
        const match = series.find((entry) => entry.queueName === queueName);
        return {
          Id: query.Id,
          Label: 'ApproximateAgeOfOldestMessage',
          StatusCode: 'Complete',
          Timestamps: match?.timestamps ?? [],
          Values: match?.values ?? [],
        };
      });
      response.end(JSON.stringify({ MetricDataResults: results, Messages: [] }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

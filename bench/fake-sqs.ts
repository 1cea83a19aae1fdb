import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';

/**
 * SendMessageBatch answered without a network: the SDK request handler (the transport under the
 * middleware stack) is replaced, so serialisation, signing, the retry strategy and the response's
 * MD5 check all run as in production and only the socket is gone. Its own work (parsing the request,
 * hashing bodies for the MD5s the SDK verifies) is timed, so it can be told apart from ours.
 */
export interface FakeSqsTransport {
  handle(request: { body?: unknown; headers: Record<string, string> }): Promise<{ response: FakeResponse }>;
  updateHttpClientConfig(): void;
  httpHandlerConfigs(): Record<string, never>;
  destroy(): void;
  readonly stats: { calls: number; entries: number; selfMs: number };
}

interface FakeResponse {
  statusCode: number;
  reason: string;
  headers: Record<string, string>;
  body: Readable;
}

interface BatchEntry {
  Id: string;
  MessageBody: string;
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  throw new Error('the fake SQS transport expects a JSON request body');
}

/** The JSON-protocol answer to one SendMessageBatch: every entry succeeded, with its body's MD5. */
export function sendMessageBatchAnswer(requestBody: string): { body: string; entries: number } {
  const { Entries = [] } = JSON.parse(requestBody) as { Entries?: BatchEntry[] };
  const body = JSON.stringify({
    Successful: Entries.map((entry) => ({
      Id: entry.Id,
      MessageId: entry.Id,
      MD5OfMessageBody: createHash('md5').update(entry.MessageBody).digest('hex'),
    })),
    Failed: [],
  });
  return { body, entries: Entries.length };
}

export function createFakeSqsTransport(): FakeSqsTransport {
  const stats = { calls: 0, entries: 0, selfMs: 0 };
  return {
    stats,
    async handle(request) {
      // CPU time, as the figures it is taken from are: wall time would also take out whatever the
      // process lost to other work while in here.
      const started = process.cpuUsage();
      const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'];
      if (target !== 'AmazonSQS.SendMessageBatch')
        throw new Error(`the fake SQS transport only answers SendMessageBatch, not ${target}`);
      const answer = sendMessageBatchAnswer(bodyText(request.body));
      stats.calls += 1;
      stats.entries += answer.entries;
      const response: FakeResponse = {
        statusCode: 200,
        reason: 'OK',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'bench' },
        body: Readable.from([Buffer.from(answer.body)]),
      };
      const used = process.cpuUsage(started);
      stats.selfMs += (used.user + used.system) / 1000;
      return { response };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
}

export const BENCH_REGION = 'us-east-1';
export const BENCH_CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };
/** A well-formed queue URL; nothing is ever sent to it. */
export const BENCH_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/eventgate-bench-postgres';

/** A real SQSClient over the fake transport. */
export function fakeSqsClient(transport: FakeSqsTransport, config: SQSClientConfig = {}): SQSClient {
  return new SQSClient({
    ...config,
    region: BENCH_REGION,
    credentials: BENCH_CREDENTIALS,
    requestHandler: transport,
  });
}

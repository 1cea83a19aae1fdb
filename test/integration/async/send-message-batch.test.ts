import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { HttpRequest } from '@smithy/core/transport';
import { SignatureV4 } from '@smithy/signature-v4';
import { SendMessageBatchSender, SqsServiceError } from '../../../shared/queue/send-message-batch';
import { fauxqsSqsClient, startFauxqs, type FauxqsHandle } from '../../peers/fauxqs';

/** An HTTP peer that answers each request with the next scripted answer and keeps what it was sent. */
async function scriptedSqs(
  answers: Array<{ status: number; body: unknown; headers?: Record<string, string> }>,
) {
  const requests: Array<{ headers: http.IncomingHttpHeaders; body: string; url: string }> = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        url: request.url ?? '',
      });
      const answer = answers[Math.min(requests.length - 1, answers.length - 1)] as (typeof answers)[number];
      response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0', ...answer.headers });
      response.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function clientFor(endpoint: string, extra: Partial<ConstructorParameters<typeof SQSClient>[0]> = {}) {
  return new SQSClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session-token' },
    ...extra,
  });
}

const ok = {
  status: 200,
  body: { Successful: [{ Id: '0', MessageId: 'm-0', MD5OfMessageBody: 'x' }], Failed: [] },
};
const entry = { Id: '0', MessageBody: '{"a":1}' };

describe('SendMessageBatch without the SDK command pipeline, against a real SQS server', () => {
  let fauxqs: FauxqsHandle;
  let sqs: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    fauxqs = await startFauxqs();
    sqs = fauxqsSqsClient(fauxqs.endpoint);
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'lean-sender' }))).QueueUrl as string;
  });

  afterAll(async () => {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    sqs.destroy();
    await fauxqs.stop();
  });

  it('delivers every entry with its body and attributes exactly as sent', async () => {
    const bodies = ['{"n":9007199254740993}', '{"text":"\\u00e9 \\ud83d\\ude00"}', 'x'.repeat(200_000)];
    const output = await new SendMessageBatchSender(sqs).send({
      QueueUrl: queueUrl,
      Entries: bodies.map((body, index) => ({
        Id: String(index),
        MessageBody: body,
        MessageAttributes: { topic: { DataType: 'String', StringValue: `topic-${index}` } },
      })),
    });
    expect(output.Failed).toEqual([]);
    expect(output.Successful.map((result) => result.Id).sort()).toEqual(['0', '1', '2']);

    const received: Array<{ body: string; topic: string | undefined }> = [];
    while (received.length < bodies.length) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
          WaitTimeSeconds: 1,
        }),
      );
      for (const message of Messages)
        received.push({
          body: message.Body as string,
          topic: message.MessageAttributes?.topic?.StringValue,
        });
    }
    expect(received.map((message) => message.body).sort()).toEqual([...bodies].sort());
    expect(received.map((message) => message.topic).sort()).toEqual(['topic-0', 'topic-1', 'topic-2']);
  });

  it('answers a missing queue with the service error, without retrying it', async () => {
    const missing = queueUrl.replace('lean-sender', 'no-such-queue');
    const error = await new SendMessageBatchSender(sqs)
      .send({ QueueUrl: missing, Entries: [entry] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SqsServiceError);
    expect((error as SqsServiceError).$metadata.httpStatusCode).toBe(400);
    expect((error as SqsServiceError).name).toMatch(/NonExistentQueue|QueueDoesNotExist/);
  });
});

describe('SendMessageBatch failure paths, against a scripted HTTP peer', () => {
  it('signs each call with SigV4 for sqs in the client region, session token included', async () => {
    const peer = await scriptedSqs([ok]);
    try {
      const client = clientFor(peer.endpoint);
      await new SendMessageBatchSender(client).send({ QueueUrl: `${peer.endpoint}/1/q`, Entries: [entry] });
      const [request] = peer.requests;
      expect(request?.headers['x-amz-target']).toBe('AmazonSQS.SendMessageBatch');
      expect(request?.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/sqs\/aws4_request, SignedHeaders=.*x-amz-target.*, Signature=[0-9a-f]{64}$/,
      );
      expect(request?.headers['x-amz-security-token']).toBe('session-token');
      // What AWS does on receipt: sign the request as received with the same secret and date.
      const received = request as (typeof peer.requests)[number];
      const amzDate = String(received.headers['x-amz-date']);
      const signedNames =
        /SignedHeaders=([^,]+)/.exec(String(received.headers.authorization))?.[1]?.split(';') ?? [];
      const verifier = new SignatureV4({
        service: 'sqs',
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session-token' },
        sha256: client.config.sha256,
      });
      const resigned = await verifier.sign(
        new HttpRequest({
          method: 'POST',
          protocol: 'http:',
          hostname: '127.0.0.1',
          path: received.url,
          headers: Object.fromEntries(signedNames.map((name) => [name, String(received.headers[name])])),
          body: received.body,
        }),
        {
          signingDate: new Date(
            `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
          ),
        },
      );
      expect(resigned.headers.authorization).toBe(received.headers.authorization);
      expect(JSON.parse(request?.body ?? '')).toEqual({ QueueUrl: `${peer.endpoint}/1/q`, Entries: [entry] });
      client.destroy();
    } finally {
      await peer.stop();
    }
  });

  it('retries a server fault and a throttle, then returns the answer that succeeded', async () => {
    const peer = await scriptedSqs([
      { status: 500, body: { __type: 'com.amazonaws.sqs#InternalError', message: 'boom' } },
      {
        status: 400,
        body: { __type: 'com.amazonaws.sqs#RequestThrottled', message: 'slow down' },
        headers: { 'x-amzn-query-error': 'RequestThrottled;Sender' },
      },
      ok,
    ]);
    try {
      const client = clientFor(peer.endpoint, { maxAttempts: 3 });
      const output = await new SendMessageBatchSender(client).send({
        QueueUrl: `${peer.endpoint}/1/q`,
        Entries: [entry],
      });
      expect(output.Successful).toEqual(ok.body.Successful);
      expect(peer.requests).toHaveLength(3);
      client.destroy();
    } finally {
      await peer.stop();
    }
  });

  it('gives up after the client’s maxAttempts and throws the last error', async () => {
    const peer = await scriptedSqs([
      { status: 503, body: { __type: 'ServiceUnavailable', message: 'down' } },
    ]);
    try {
      const client = clientFor(peer.endpoint, { maxAttempts: 2 });
      const error = await new SendMessageBatchSender(client)
        .send({ QueueUrl: `${peer.endpoint}/1/q`, Entries: [entry] })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SqsServiceError);
      expect((error as SqsServiceError).name).toBe('ServiceUnavailable');
      expect((error as SqsServiceError).$fault).toBe('server');
      expect(peer.requests).toHaveLength(2);
      client.destroy();
    } finally {
      await peer.stop();
    }
  });

  it('corrects a skewed clock from the server’s Date and signs the retry with it', async () => {
    const hourAhead = new Date(Date.now() + 3_600_000);
    const peer = await scriptedSqs([
      {
        status: 400,
        body: { __type: 'com.amazonaws.sqs#RequestTimeTooSkewed', message: 'too skewed' },
        headers: { date: hourAhead.toUTCString() },
      },
      ok,
    ]);
    try {
      const client = clientFor(peer.endpoint, { maxAttempts: 3 });
      await new SendMessageBatchSender(client).send({ QueueUrl: `${peer.endpoint}/1/q`, Entries: [entry] });
      expect(peer.requests).toHaveLength(2);
      const signedAt = (request: (typeof peer.requests)[number] | undefined): number => {
        const text = String(request?.headers['x-amz-date']);
        return Date.parse(
          `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}T${text.slice(9, 11)}:${text.slice(11, 13)}:${text.slice(13, 15)}Z`,
        );
      };
      expect(Math.abs(signedAt(peer.requests[0]) - Date.now())).toBeLessThan(60_000);
      expect(Math.abs(signedAt(peer.requests[1]) - hourAhead.getTime())).toBeLessThan(60_000);
      client.destroy();
    } finally {
      await peer.stop();
    }
  });

  it('does not take a refused signature for a skewed clock when the clocks agree', async () => {
    const peer = await scriptedSqs([
      { status: 403, body: { __type: 'com.amazonaws.sqs#SignatureDoesNotMatch', message: 'bad key' } },
    ]);
    try {
      const client = clientFor(peer.endpoint, { maxAttempts: 3 });
      const error = await new SendMessageBatchSender(client)
        .send({ QueueUrl: `${peer.endpoint}/1/q`, Entries: [entry] })
        .catch((caught: unknown) => caught);
      expect((error as SqsServiceError).name).toBe('SignatureDoesNotMatch');
      expect(peer.requests).toHaveLength(1);
      client.destroy();
    } finally {
      await peer.stop();
    }
  });

  it('does not retry a sender fault such as an oversized batch', async () => {
    const peer = await scriptedSqs([
      {
        status: 400,
        body: { __type: 'com.amazonaws.sqs#BatchRequestTooLong', message: 'too long' },
      },
    ]);
    try {
      const client = clientFor(peer.endpoint, { maxAttempts: 3 });
      const error = await new SendMessageBatchSender(client)
        .send({ QueueUrl: `${peer.endpoint}/1/q`, Entries: [entry] })
        .catch((caught: unknown) => caught);
      expect((error as SqsServiceError).name).toBe('BatchRequestTooLong');
      expect((error as Error).message).toBe('too long');
      expect(peer.requests).toHaveLength(1);
      client.destroy();
    } finally {
      await peer.stop();
    }
  });

  it('retries a refused connection and reports it when the server never comes', async () => {
    const peer = await scriptedSqs([ok]);
    await peer.stop(); // its port is now closed
    const client = clientFor(peer.endpoint, { maxAttempts: 2 });
    const error = await new SendMessageBatchSender(client)
      .send({ QueueUrl: `${peer.endpoint}/1/q`, Entries: [entry] })
      .catch((caught: unknown) => caught);
    expect((error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    client.destroy();
  });

  it('sends to the endpoint configured for SQS in the environment, whatever host the queue URL names', async () => {
    const peer = await scriptedSqs([ok]);
    const before = process.env.AWS_ENDPOINT_URL_SQS;
    process.env.AWS_ENDPOINT_URL_SQS = peer.endpoint;
    try {
      const client = new SQSClient({
        region: 'eu-west-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      });
      const queueUrl = 'http://sqs.eu-west-1.localhost:1/000000000000/q';
      await new SendMessageBatchSender(client).send({ QueueUrl: queueUrl, Entries: [entry] });
      expect(peer.requests).toHaveLength(1);
      expect(JSON.parse(peer.requests[0]?.body ?? '{}')).toMatchObject({ QueueUrl: queueUrl });
      client.destroy();
    } finally {
      if (before === undefined) delete process.env.AWS_ENDPOINT_URL_SQS;
      else process.env.AWS_ENDPOINT_URL_SQS = before;
      await peer.stop();
    }
  });

  it('sends to the queue URL’s own host when the client has no endpoint of its own', async () => {
    const peer = await scriptedSqs([ok]);
    try {
      const client = new SQSClient({
        region: 'eu-west-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      });
      await new SendMessageBatchSender(client).send({ QueueUrl: `${peer.endpoint}/1/q`, Entries: [entry] });
      expect(peer.requests).toHaveLength(1);
      expect(peer.requests[0]?.headers.host).toBe(peer.endpoint.replace('http://', ''));
      client.destroy();
    } finally {
      await peer.stop();
    }
  });
});

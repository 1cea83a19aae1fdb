import type { Context } from 'aws-lambda';
import { createIngestApp } from '../../../shared/ingest/app';
import { logger, startInvocation } from '../../../shared/observability/logger';
import { GatewayStateLoader } from '../../../shared/gateway/state';
import { v2Event } from '../../helpers/gateway';

function lambdaContext(requestId: string): Context {
  return {
    awsRequestId: requestId,
    functionName: 'eventgate-test-ingest',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:eventgate-test-ingest',
    memoryLimitInMB: '512',
    logGroupName: '/aws/lambda/eventgate-test-ingest',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 1000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The JSON lines the logger writes while `work` runs. */
async function linesLoggedBy(work: () => Promise<void> | void): Promise<Array<Record<string, unknown>>> {
  const written: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }),
  );
  try {
    await work();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return written
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the structured logger', () => {
  test('carries the Lambda context and the keys of the invocation, and drops them at the next one', async () => {
    const lines = await linesLoggedBy(() => {
      startInvocation(lambdaContext('req-1'), { correlationId: 'corr-1' });
      logger.error('first');
      startInvocation(lambdaContext('req-2'));
      logger.error('second');
    });
    expect(lines[0]).toMatchObject({
      message: 'first',
      function_request_id: 'req-1',
      correlationId: 'corr-1',
    });
    expect(lines[1]).toMatchObject({ message: 'second', function_request_id: 'req-2' });
    expect(lines[1]).not.toHaveProperty('correlationId');
  });

  test('every line of an ingest request carries its correlation id and the Lambda request id', async () => {
    const app = createIngestApp({
      // A configuration directory that does not exist: the request fails and is logged as an error.
      state: new GatewayStateLoader({ confDir: '/nonexistent/eventgate-conf', env: {} }),
      deliveries: {
        sync: { deliver: async () => new Map(), health: async () => new Map() },
        async: { deliver: async () => new Map(), health: async () => new Map() },
      },
    });
    const event = v2Event({ method: 'GET', path: '/topics', headers: { 'x-correlation-id': 'corr-42' } });
    const lines = await linesLoggedBy(async () => {
      expect((await app(event, lambdaContext('req-42'))).statusCode).toBe(500);
    });
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toMatchObject({ correlationId: 'corr-42', function_request_id: 'req-42' });
    }
  });
});

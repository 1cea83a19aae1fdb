import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { createIngestApp } from '../../../shared/ingest/app';
import { InvocationLogger, logger, startInvocation } from '../../../shared/observability/logger';
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

  describe('an invocation noted at its start and handed to Powertools at its first line', () => {
    /** A logger of an on-demand environment, whose first invocation is a cold start. */
    function onDemandLogger(env: NodeJS.ProcessEnv = {}): InvocationLogger {
      const before = process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
      process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
      try {
        return new InvocationLogger({ serviceName: 'eventgate-test' }, env);
      } finally {
        if (before === undefined) delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
        else process.env.AWS_LAMBDA_INITIALIZATION_TYPE = before;
      }
    }

    test('reports the cold start on the first invocation only, whichever invocation logs first', async () => {
      const log = onDemandLogger();
      const lines = await linesLoggedBy(() => {
        log.startInvocation(lambdaContext('req-1'), { correlationId: 'corr-1' });
        log.startInvocation(lambdaContext('req-2'), { correlationId: 'corr-2' });
        log.error('second');
      });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        function_request_id: 'req-2',
        correlationId: 'corr-2',
        cold_start: false,
      });

      const fresh = onDemandLogger();
      const first = await linesLoggedBy(() => {
        fresh.startInvocation(lambdaContext('req-1'), {});
        fresh.error('one');
        fresh.error('two');
      });
      expect(first.map((line) => line.cold_start)).toEqual([true, true]);
    });

    test('keys appended during an invocation before any line are kept, and dropped at the next one', async () => {
      const log = onDemandLogger();
      const lines = await linesLoggedBy(() => {
        log.startInvocation(lambdaContext('req-1'), { correlationId: 'corr-1' });
        log.appendKeys({ batch: 'b-1' });
        log.error('first');
        log.startInvocation(undefined, {});
        log.error('second');
      });
      expect(lines[0]).toMatchObject({ correlationId: 'corr-1', batch: 'b-1', function_request_id: 'req-1' });
      expect(lines[1]).not.toHaveProperty('batch');
      expect(lines[1]).not.toHaveProperty('correlationId');
      // Without a context of its own, an invocation's lines keep the last one given, as Powertools does.
      expect(lines[1]).toMatchObject({ function_request_id: 'req-1' });
    });

    test('where Lambda runs invocations concurrently, the keys are set at once, inside the invocation', async () => {
      const log = onDemandLogger({ AWS_LAMBDA_MAX_CONCURRENCY: '4' });
      const resetKeys = jest.spyOn(Logger.prototype, 'resetKeys');
      try {
        log.startInvocation(lambdaContext('req-1'), { correlationId: 'corr-1' });
        expect(resetKeys).toHaveBeenCalledTimes(1);
      } finally {
        resetKeys.mockRestore();
      }
      const lines = await linesLoggedBy(() => log.error('first'));
      expect(lines[0]).toMatchObject({
        correlationId: 'corr-1',
        function_request_id: 'req-1',
        cold_start: true,
      });
    });
  });
});

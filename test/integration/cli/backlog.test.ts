import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { unusedPort } from '../../peers/unused-port';
import { startFakeCloudWatch } from './cloudwatch-server';
import { fauxqsSqsClient, startFauxqs, type FauxqsHandle } from '../../peers/fauxqs';
import { runBacklog, type BacklogDeps, type BacklogReport } from '../../../shared/cli/backlog';
import {
  createSinkQueues,
  envelope,
  recordIo,
  sendEnvelopes,
  type RecordedIo,
  type SinkQueuePair,
} from './sink-queues';

let fauxqs: FauxqsHandle;
let sqs: SQSClient;

beforeAll(async () => {
  fauxqs = await startFauxqs();
  sqs = fauxqsSqsClient(fauxqs.endpoint);
});

afterAll(async () => {
  sqs?.destroy();
  await fauxqs?.stop();
});

function deps(io: RecordedIo, extra: Partial<BacklogDeps> = {}): BacklogDeps {
  return { io, env: {}, clientConfig: fauxqs.clientConfig, ...extra };
}

async function receive(queueUrl: string, count: number): Promise<void> {
  const response = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: count, VisibilityTimeout: 300 }),
  );
  expect(response.Messages?.length).toBe(count);
}

/**
 * kafka: 5 sent, 2 of them received (3 visible, 2 in flight), 1 delayed; its DLQ holds 4, one of
 * them in flight. postgres: empty. eventbridge and s3: never created.
 */
async function knownBacklog(stage: string): Promise<{ kafka: SinkQueuePair; postgres: SinkQueuePair }> {
  const kafka = await createSinkQueues(sqs, 'kafka', stage);
  const postgres = await createSinkQueues(sqs, 'postgres', stage);
  await sendEnvelopes(
    sqs,
    kafka.queueUrl,
    Array.from({ length: 5 }, (_, n) => envelope('orders', { n })),
  );
  await receive(kafka.queueUrl, 2);
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: kafka.queueUrl,
      MessageBody: JSON.stringify(envelope('orders')),
      DelaySeconds: 300,
    }),
  );
  await sendEnvelopes(
    sqs,
    kafka.dlqUrl,
    Array.from({ length: 4 }, (_, n) => envelope('orders', { n })),
  );
  await receive(kafka.dlqUrl, 1);
  return { kafka, postgres };
}

describe('eventgate backlog against an SQS server', () => {
  it('reports visible, in-flight, delayed and DLQ counts for the sinks that have queues', async () => {
    const stage = 'counts';
    const { kafka, postgres } = await knownBacklog(stage);
    const asked: string[][] = [];
    const io = recordIo();

    const code = await runBacklog(
      ['--stage', stage, '--json'],
      deps(io, {
        oldestAge: async (names) => {
          asked.push([...names]);
          return new Map([[`eventgate-${stage}-kafka`, 42]]);
        },
      }),
    );

    expect(code).toBe(0);
    const report = JSON.parse(io.stdout.join('\n')) as BacklogReport;
    expect(report.mode).toBe('aws');
    expect(report.stage).toBe(stage);
    expect(report.sinks).toEqual([
      {
        sink: 'kafka',
        queueUrl: kafka.queueUrl,
        dlqUrl: kafka.dlqUrl,
        visible: 3,
        inFlight: 2,
        delayed: 1,
        dlq: 4,
        oldestAgeSeconds: 42,
      },
      {
        sink: 'postgres',
        queueUrl: postgres.queueUrl,
        dlqUrl: postgres.dlqUrl,
        visible: 0,
        inFlight: 0,
        delayed: 0,
        dlq: 0,
        oldestAgeSeconds: null,
      },
    ]);
    expect(report.missing).toEqual(['eventbridge', 's3']);
    expect(asked).toEqual([[`eventgate-${stage}-kafka`, `eventgate-${stage}-postgres`]]);
  });

  it('prints the same numbers as a table', async () => {
    const stage = 'table';
    await knownBacklog(stage);
    const io = recordIo();

    const code = await runBacklog(['--stage', stage], deps(io, { oldestAge: async () => new Map() }));

    expect(code).toBe(0);
    const lines = io.stdout.join('\n').split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(/^SINK\s+VISIBLE\s+IN-FLIGHT\s+DELAYED\s+DLQ\s+OLDEST$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^kafka\s+3\s+2\s+1\s+4\s+n\/a$/));
    expect(lines).toContainEqual(expect.stringMatching(/^postgres\s+0\s+0\s+0\s+0\s+n\/a$/));
    expect(lines).toContain('No queue for: eventbridge, s3');
  });

  it('takes the oldest age from CloudWatch: newest Maximum of ApproximateAgeOfOldestMessage in the last 5 minutes', async () => {
    const stage = 'metrics';
    await knownBacklog(stage);
    const now = Math.floor(Date.now() / 1000);
    const cloudWatch = await startFakeCloudWatch([
      {
        queueName: `eventgate-${stage}-kafka`,
        timestamps: [now - 240, now - 60, now - 120],
        values: [10, 3725, 50],
      },
    ]);
    try {
      const io = recordIo();

      const code = await runBacklog(
        ['--stage', stage],
        deps(io, { cloudWatchConfig: { ...fauxqs.clientConfig, endpoint: cloudWatch.endpoint } }),
      );

      expect(code).toBe(0);
      const lines = io.stdout.join('\n').split('\n');
      expect(lines).toContainEqual(expect.stringMatching(/^kafka\s+3\s+2\s+1\s+4\s+1h02m$/));
      expect(lines).toContainEqual(expect.stringMatching(/^postgres\s+0\s+0\s+0\s+0\s+n\/a$/));
      expect(cloudWatch.calls).toHaveLength(1);
      const request = cloudWatch.calls[0]?.body as {
        StartTime: number;
        EndTime: number;
        MetricDataQueries: Array<{ MetricStat: Record<string, unknown> }>;
      };
      expect(request.EndTime - request.StartTime).toBe(300);
      expect(request.MetricDataQueries.map((query) => query.MetricStat)).toEqual(
        ['kafka', 'postgres'].map((sink) => ({
          Metric: {
            Namespace: 'AWS/SQS',
            MetricName: 'ApproximateAgeOfOldestMessage',
            Dimensions: [{ Name: 'QueueName', Value: `eventgate-${stage}-${sink}` }],
          },
          Period: 60,
          Stat: 'Maximum',
        })),
      );
    } finally {
      await cloudWatch.stop();
    }
  });

  it('shows n/a with a warning when CloudWatch cannot be read', async () => {
    const stage = 'nometrics';
    await createSinkQueues(sqs, 's3', stage);
    const io = recordIo();

    // The SQS server is no CloudWatch: the metric request fails the way a missing permission would.
    const code = await runBacklog(
      ['--stage', stage, '--json'],
      deps(io, { cloudWatchConfig: { ...fauxqs.clientConfig, maxAttempts: 1 } }),
    );

    expect(code).toBe(0);
    const report = JSON.parse(io.stdout.join('\n')) as BacklogReport;
    expect(report.sinks.map((entry) => [entry.sink, entry.oldestAgeSeconds])).toEqual([['s3', null]]);
    expect(report.warnings).toEqual([expect.stringMatching(/^oldest age unavailable: /)]);
  });

  it('reads the local runtime state file, never asks for an age there, and shows n/a', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'eventgate-state-'));
    try {
      const { kafka } = await knownBacklog('local');
      writeFileSync(
        join(stateDir, 'runtime.json'),
        JSON.stringify({
          url: 'http://127.0.0.1:3000',
          region: fauxqs.clientConfig.region,
          sqsEndpoint: fauxqs.endpoint,
          queues: { kafka },
        }),
      );
      const io = recordIo();
      let asked = false;

      const code = await runBacklog(['--local', '--json'], {
        io,
        env: { EVENTGATE_STATE_DIR: stateDir },
        oldestAge: async () => {
          asked = true;
          return new Map();
        },
      });

      expect(code).toBe(0);
      const report = JSON.parse(io.stdout.join('\n')) as BacklogReport;
      expect(report.mode).toBe('local');
      expect(report.sinks).toEqual([
        expect.objectContaining({ sink: 'kafka', visible: 3, inFlight: 2, dlq: 4, oldestAgeSeconds: null }),
      ]);
      expect(report.missing).toEqual(['eventbridge', 'postgres', 's3']);
      expect(asked).toBe(false);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('says the local runtime is not running when its state file outlived it', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'eventgate-state-'));
    try {
      const deadEndpoint = `http://127.0.0.1:${await unusedPort()}`;
      writeFileSync(
        join(stateDir, 'runtime.json'),
        JSON.stringify({
          url: 'http://127.0.0.1:3000',
          region: 'us-east-1',
          sqsEndpoint: deadEndpoint,
          queues: {
            kafka: {
              queueUrl: `${deadEndpoint}/000000000000/q`,
              dlqUrl: `${deadEndpoint}/000000000000/q-dlq`,
            },
          },
        }),
      );
      const io = recordIo();

      const code = await runBacklog(['--local'], { io, env: { EVENTGATE_STATE_DIR: stateDir } });

      expect(code).toBe(1);
      expect(io.stderr.join('\n')).toContain('the local runtime is not running (start it with npm start)');
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('refreshes with --watch until stopped, one JSON document per line', async () => {
    const stage = 'watch';
    const { postgres } = await knownBacklog(stage);
    const controller = new AbortController();
    const io = recordIo(() => {
      if (io.stdout.length >= 2) controller.abort();
    });
    let refreshes = 0;

    const code = await runBacklog(
      ['--stage', stage, '--json', '--watch', '0.1'],
      deps(io, {
        signal: controller.signal,
        // Runs after the counts of each refresh are read: changing the queue here means the second
        // refresh can only be right if it reads the queue again.
        oldestAge: async () => {
          refreshes += 1;
          if (refreshes === 1) await sendEnvelopes(sqs, postgres.queueUrl, [envelope('orders')]);
          return new Map();
        },
      }),
    );

    expect(code).toBe(0);
    expect(io.stdout).toHaveLength(2);
    const [first, second] = io.stdout.map((line) => JSON.parse(line) as BacklogReport);
    expect(first?.sinks.find((entry) => entry.sink === 'postgres')?.visible).toBe(0);
    expect(second?.sinks.find((entry) => entry.sink === 'postgres')?.visible).toBe(1);
  });

  it('fails when no sink has a queue in the stage', async () => {
    const io = recordIo();
    const code = await runBacklog(
      ['--stage', 'nothing-here'],
      deps(io, { oldestAge: async () => new Map() }),
    );
    expect(code).toBe(1);
    expect(io.stderr.join('\n')).toContain('no eventgate queues in stage nothing-here');
  });

  it('rejects an unknown option with exit code 2', async () => {
    const io = recordIo();
    expect(await runBacklog(['--stages', 'x'], deps(io))).toBe(2);
    expect(io.stderr.join('\n')).toContain('unknown option --stages');
  });
});

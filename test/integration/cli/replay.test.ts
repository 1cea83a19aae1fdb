import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { fauxqsSqsClient, type FauxqsHandle } from '../../peers/fauxqs';
import { runReplay, type ReplayDeps } from '../../../shared/cli/replay';
import { redrive } from '../../../shared/queue/redrive/move-loop';
import type { Envelope } from '../../../shared/envelope';
import {
  createSinkQueues,
  sharedFauxqs,
  drain,
  envelope,
  eventIdsOf,
  recordIo,
  required,
  sendEnvelopes,
  visibleCount,
  type RecordedIo,
} from './sink-queues';

let fauxqs: FauxqsHandle;
let sqs: SQSClient;
/** Each test gets its own stage, hence its own queues on the shared server. */
const freshStage = sharedFauxqs((server, client) => {
  fauxqs = server;
  sqs = client;
}, 't');

function deps(io: RecordedIo, extra: Partial<ReplayDeps> = {}): ReplayDeps {
  return { io, env: {}, clientConfig: fauxqs.clientConfig, redrive: { waitTimeSeconds: 0 }, ...extra };
}

/** An SDK client whose chosen command fails, as a crash or a lost answer would look to the caller. */
function clientFailing(commandName: string, when: 'before' | 'after'): SQSClient {
  const client = fauxqsSqsClient(fauxqs.endpoint);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== commandName) return next(args);
      if (when === 'before') throw new Error(`simulated failure before ${commandName}`);
      await next(args);
      throw new Error(`simulated loss of the answer to ${commandName}`);
    },
    { step: 'initialize', name: 'injectFailure' },
  );
  return client;
}

async function drainFifo(queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return all;
    for (const message of Messages) {
      all.push(message);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
}

function bodyOf(message: Message): Envelope {
  return JSON.parse(message.Body ?? '') as Envelope;
}

describe('eventgate replay against an SQS server', () => {
  it('moves only the messages of the given topics, keeping bodies and attributes, and leaves the rest', async () => {
    const stage = freshStage();
    const { queueUrl, dlqUrl } = await createSinkQueues(sqs, 'kafka', stage);
    const orders = [
      envelope('orders', { n: 1 }),
      envelope('orders', { n: 2 }),
      envelope('refunds', { n: 3 }),
    ];
    const others = [envelope('clicks'), envelope('views'), envelope('views')];
    await sendEnvelopes(sqs, dlqUrl, [...orders, ...others], () => ({
      origin: { DataType: 'String', StringValue: 'worker' },
    }));
    const io = recordIo();

    const code = await runReplay(
      ['kafka', '--stage', stage, '--topic', 'orders', '--topic', 'refunds'],
      deps(io),
    );

    expect(code).toBe(0);
    expect(io.stdout.at(-1)).toBe('moved 3, skipped 3, failed 0');
    const moved = await drain(sqs, queueUrl);
    expect(eventIdsOf(moved)).toEqual(orders.map((item) => item.id).sort());
    for (const message of moved) {
      const original = orders.find((item) => item.id === bodyOf(message).id);
      expect(bodyOf(message)).toEqual(original);
      expect(message.MessageAttributes).toEqual({
        topic: { DataType: 'String', StringValue: original?.topic },
        eventId: { DataType: 'String', StringValue: original?.id },
        origin: { DataType: 'String', StringValue: 'worker' },
      });
    }
    // The skipped ones were handed back at once, not left hidden for the visibility timeout.
    expect(eventIdsOf(await drain(sqs, dlqUrl))).toEqual(others.map((item) => item.id).sort());
  });

  it('moves only the given event ids', async () => {
    const stage = freshStage();
    const { queueUrl, dlqUrl } = await createSinkQueues(sqs, 'postgres', stage);
    const events = Array.from({ length: 6 }, (_, n) => envelope('orders', { n }));
    await sendEnvelopes(sqs, dlqUrl, events);
    const chosen = [events[1], events[4]].map((item) => required(item, 'event').id);
    const io = recordIo();

    const code = await runReplay(
      ['postgres', '--stage', stage, '--event-id', chosen[0] ?? '', '--event-id', chosen[1] ?? ''],
      deps(io),
    );

    expect(code).toBe(0);
    expect(eventIdsOf(await drain(sqs, queueUrl))).toEqual([...chosen].sort());
    expect(eventIdsOf(await drain(sqs, dlqUrl))).toEqual(
      events
        .map((item) => item.id)
        .filter((id) => !chosen.includes(id))
        .sort(),
    );
  });

  it('lists what would move in a dry run and moves nothing', async () => {
    const stage = freshStage();
    const { queueUrl, dlqUrl } = await createSinkQueues(sqs, 's3', stage);
    const events = [envelope('orders'), envelope('orders'), envelope('clicks')];
    await sendEnvelopes(sqs, dlqUrl, events);
    const io = recordIo();

    const code = await runReplay(['s3', '--stage', stage, '--topic', 'orders', '--dry-run'], deps(io));

    expect(code).toBe(0);
    const listing = io.stdout.join('\n');
    for (const item of events.slice(0, 2)) {
      expect(listing).toContain(item.id);
      expect(listing).toContain(item.receivedAt);
    }
    expect(listing).not.toContain(events[2]?.id);
    expect(io.stdout.at(-1)).toBe('dry run: would move 2, skipped 1, nothing moved');
    expect(await visibleCount(sqs, queueUrl)).toBe(0);
    expect(eventIdsOf(await drain(sqs, dlqUrl))).toEqual(events.map((item) => item.id).sort());
  });

  it('stops after --max messages', async () => {
    const stage = freshStage();
    const { queueUrl, dlqUrl } = await createSinkQueues(sqs, 'eventbridge', stage);
    await sendEnvelopes(
      sqs,
      dlqUrl,
      Array.from({ length: 13 }, (_, n) => envelope('orders', { n })),
    );
    const io = recordIo();

    const code = await runReplay(['eventbridge', '--stage', stage, '--max', '4', '--json'], deps(io));

    expect(code).toBe(0);
    const summary = JSON.parse(io.stdout.join('\n')) as Record<string, unknown>;
    expect(summary).toMatchObject({
      sink: 'eventbridge',
      moved: 4,
      failed: 0,
      dryRun: false,
      stoppedBy: 'max',
    });
    expect(summary.to).toBe(queueUrl);
    expect(summary.from).toBe(dlqUrl);
    expect((await drain(sqs, queueUrl)).length).toBe(4);
    expect((await drain(sqs, dlqUrl)).length).toBe(9);
  });

  it('ends when only non-matching messages are left', async () => {
    const stage = freshStage();
    const { queueUrl, dlqUrl } = await createSinkQueues(sqs, 'kafka', stage);
    const events = Array.from({ length: 25 }, (_, n) => envelope('clicks', { n }));
    await sendEnvelopes(sqs, dlqUrl, events);
    const io = recordIo();

    const code = await runReplay(['kafka', '--stage', stage, '--topic', 'orders', '--json'], deps(io));

    expect(code).toBe(0);
    expect(JSON.parse(io.stdout.join('\n'))).toMatchObject({ moved: 0, skipped: 25, failed: 0 });
    expect(await visibleCount(sqs, queueUrl)).toBe(0);
    expect(await visibleCount(sqs, dlqUrl)).toBe(25);
  });

  it('keeps a message the queue rejects in the DLQ, moves the others and exits non-zero', async () => {
    const stage = freshStage();
    // The queue accepts at most 1 KiB; the DLQ (created with defaults) holds a bigger message.
    const { queueUrl, dlqUrl } = await createSinkQueues(sqs, 'postgres', stage, {
      MaximumMessageSize: '1024',
    });
    const small = [envelope('orders', { n: 1 }), envelope('orders', { n: 2 })];
    const big = envelope('orders', { blob: 'x'.repeat(2048) });
    await sendEnvelopes(sqs, dlqUrl, [small[0] as Envelope, big, small[1] as Envelope]);
    const io = recordIo();

    const code = await runReplay(['postgres', '--stage', stage, '--json'], deps(io));

    expect(code).toBe(1);
    const summary = JSON.parse(io.stdout.join('\n')) as {
      moved: number;
      failed: number;
      failures: Array<{ eventId: string; stage: string }>;
    };
    expect(summary.moved).toBe(2);
    expect(summary.failed).toBe(1);
    expect(summary.failures).toEqual([expect.objectContaining({ eventId: big.id, stage: 'send' })]);
    expect(eventIdsOf(await drain(sqs, queueUrl))).toEqual(small.map((item) => item.id).sort());
    expect(eventIdsOf(await drain(sqs, dlqUrl))).toEqual([big.id]);
  });

  it('prints a summary line and exits non-zero when one message failed (human output)', async () => {
    const stage = freshStage();
    const { dlqUrl } = await createSinkQueues(sqs, 's3', stage, { MaximumMessageSize: '1024' });
    const big = envelope('orders', { blob: 'y'.repeat(2048) });
    await sendEnvelopes(sqs, dlqUrl, [envelope('orders'), big]);
    const io = recordIo();

    const code = await runReplay(['s3', '--stage', stage], deps(io));

    expect(code).toBe(1);
    expect(io.stdout.at(-1)).toBe('moved 1, skipped 0, failed 1');
    expect(io.stderr.join('\n')).toContain(big.id);
  });

  it('finds the queues of the local runtime through its state file', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'eventgate-state-'));
    try {
      const stage = freshStage();
      const queues = await createSinkQueues(sqs, 'kafka', stage);
      writeFileSync(
        join(stateDir, 'runtime.json'),
        JSON.stringify({
          url: 'http://127.0.0.1:3000',
          region: fauxqs.clientConfig.region,
          sqsEndpoint: fauxqs.endpoint,
          queues: { kafka: queues },
        }),
      );
      const events = [envelope('orders'), envelope('orders')];
      await sendEnvelopes(sqs, queues.dlqUrl, events);
      const io = recordIo();

      // No client settings at all: everything comes from the state file.
      const code = await runReplay(['kafka', '--local'], {
        io,
        env: { EVENTGATE_STATE_DIR: stateDir },
        redrive: { waitTimeSeconds: 0 },
      });

      expect(code).toBe(0);
      expect(eventIdsOf(await drain(sqs, queues.queueUrl))).toEqual(events.map((item) => item.id).sort());
      expect(await visibleCount(sqs, queues.dlqUrl)).toBe(0);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('says the local runtime is not running when its state file is missing', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'eventgate-state-'));
    try {
      const io = recordIo();
      const code = await runReplay(['kafka', '--local'], { io, env: { EVENTGATE_STATE_DIR: stateDir } });
      expect(code).toBe(1);
      expect(io.stderr.join('\n')).toContain('the local runtime is not running (start it with npm start)');
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('reports a sink whose queue does not exist', async () => {
    const io = recordIo();
    const code = await runReplay(['kafka', '--stage', 'never-deployed'], deps(io));
    expect(code).toBe(1);
    expect(io.stderr.join('\n')).toContain('no kafka queue in stage never-deployed');
  });

  it('rejects --native against the local runtime without touching any queue', async () => {
    const io = recordIo();
    const code = await runReplay(['kafka', '--local', '--native'], {
      io,
      env: { EVENTGATE_STATE_DIR: '/nonexistent' },
    });
    expect(code).toBe(2);
    expect(io.stderr.join('\n')).toContain('not supported by the local SQS server');
  });

  it('with --native, starts an SQS move task between the right queues and follows it to the end', async () => {
    // The SQS server here has no move-task API, so those two calls are answered inside the client;
    // the queue ARNs still come from the server.
    const stage = freshStage();
    await createSinkQueues(sqs, 'kafka', stage);
    const started: Array<Record<string, unknown>> = [];
    let polls = 0;
    const io = recordIo();

    const code = await runReplay(['kafka', '--stage', stage, '--native', '--rate', '20', '--json'], {
      ...deps(io),
      nativePollSeconds: 0,
      customizeClient: (client) =>
        client.middlewareStack.add(
          (next, context) => async (args) => {
            if (context.commandName === 'StartMessageMoveTaskCommand') {
              started.push(args.input as Record<string, unknown>);
              return { output: { TaskHandle: 'task-1', $metadata: {} }, response: {} };
            }
            if (context.commandName === 'ListMessageMoveTasksCommand') {
              polls += 1;
              const done = polls >= 3;
              const result = {
                Status: done ? 'COMPLETED' : 'RUNNING',
                ApproximateNumberOfMessagesMoved: done ? 7 : 2,
                ApproximateNumberOfMessagesToMove: 7,
                ...(done ? {} : { TaskHandle: 'task-1' }),
              };
              return { output: { Results: [result], $metadata: {} }, response: {} };
            }
            return next(args);
          },
          { step: 'initialize', name: 'fakeMoveTasks' },
        ),
    });

    expect(code).toBe(0);
    expect(started).toEqual([
      {
        SourceArn: `arn:aws:sqs:us-east-1:000000000000:eventgate-${stage}-kafka-dlq`,
        DestinationArn: `arn:aws:sqs:us-east-1:000000000000:eventgate-${stage}-kafka`,
        MaxNumberOfMessagesPerSecond: 20,
      },
    ]);
    expect(JSON.parse(io.stdout.join('\n'))).toMatchObject({
      native: true,
      taskHandle: 'task-1',
      status: 'COMPLETED',
      moved: 7,
    });
  });
});

describe('redrive when the process dies part-way', () => {
  it('a failure between send and delete leaves the message in both queues, never in neither', async () => {
    const stage = freshStage();
    const { queueUrl, dlqUrl } = await createSinkQueues(sqs, 'kafka', stage);
    const events = [envelope('orders', { n: 1 }), envelope('orders', { n: 2 }), envelope('orders', { n: 3 })];
    await sendEnvelopes(sqs, dlqUrl, events);
    const crashing = clientFailing('DeleteMessageBatchCommand', 'before');
    try {
      const result = await redrive(crashing, {
        sourceQueueUrl: dlqUrl,
        targetQueueUrl: queueUrl,
        waitTimeSeconds: 0,
      });

      expect(result.moved).toBe(0);
      expect(result.failed).toBe(3);
      expect(result.stoppedBy).toBe('error');
      expect(result.failures.map((failure) => failure.stage)).toEqual(['delete', 'delete', 'delete']);
    } finally {
      crashing.destroy();
    }
    const ids = events.map((item) => item.id).sort();
    expect(eventIdsOf(await drain(sqs, queueUrl))).toEqual(ids);
    expect(eventIdsOf(await drain(sqs, dlqUrl))).toEqual(ids);
  });

  it('a send whose answer is lost deletes nothing; replaying again only duplicates', async () => {
    const stage = freshStage();
    const { queueUrl, dlqUrl } = await createSinkQueues(sqs, 'postgres', stage);
    const events = [envelope('orders', { n: 1 }), envelope('orders', { n: 2 })];
    await sendEnvelopes(sqs, dlqUrl, events);
    const lossy = clientFailing('SendMessageBatchCommand', 'after');
    try {
      const result = await redrive(lossy, {
        sourceQueueUrl: dlqUrl,
        targetQueueUrl: queueUrl,
        waitTimeSeconds: 0,
      });
      expect(result).toMatchObject({ moved: 0, failed: 2, stoppedBy: 'error' });
      expect(result.failures.map((failure) => failure.stage)).toEqual(['send', 'send']);
    } finally {
      lossy.destroy();
    }
    expect(await visibleCount(sqs, dlqUrl)).toBe(2);

    const rerun = await redrive(sqs, {
      sourceQueueUrl: dlqUrl,
      targetQueueUrl: queueUrl,
      waitTimeSeconds: 0,
    });

    expect(rerun).toMatchObject({ moved: 2, failed: 0, stoppedBy: 'drained' });
    expect(await visibleCount(sqs, dlqUrl)).toBe(0);
    const ids = events.map((item) => item.id);
    expect(eventIdsOf(await drain(sqs, queueUrl))).toEqual([...ids, ...ids].sort());
  });

  it('stops after the batch in flight when aborted and hands the rest back', async () => {
    const stage = freshStage();
    const { queueUrl, dlqUrl } = await createSinkQueues(sqs, 'eventbridge', stage);
    await sendEnvelopes(
      sqs,
      dlqUrl,
      Array.from({ length: 30 }, (_, n) => envelope('orders', { n })),
    );
    const controller = new AbortController();

    const result = await redrive(sqs, {
      sourceQueueUrl: dlqUrl,
      targetQueueUrl: queueUrl,
      waitTimeSeconds: 0,
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.moved > 0) controller.abort();
      },
    });

    expect(result.stoppedBy).toBe('aborted');
    expect(result.moved).toBeGreaterThan(0);
    expect(result.moved).toBeLessThan(30);
    expect(await visibleCount(sqs, queueUrl)).toBe(result.moved);
    expect(await visibleCount(sqs, dlqUrl)).toBe(30 - result.moved);
  });
});

describe('redrive of large messages', () => {
  it('moves messages that together pass the 1 MiB a SendMessageBatch may carry', async () => {
    const { queueUrl, dlqUrl } = await createSinkQueues(sqs, 'postgres', freshStage());
    const events = [1, 2, 3, 4].map((n) => envelope('orders', { n, blob: 'x'.repeat(400 * 1024) }));
    for (const item of events) {
      await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: JSON.stringify(item) }));
    }

    const result = await redrive(sqs, {
      sourceQueueUrl: dlqUrl,
      targetQueueUrl: queueUrl,
      waitTimeSeconds: 0,
    });

    expect(result).toMatchObject({ moved: 4, failed: 0, stoppedBy: 'drained' });
    expect(eventIdsOf(await drain(sqs, queueUrl))).toEqual(events.map((item) => item.id).sort());
    expect(await visibleCount(sqs, dlqUrl)).toBe(0);
  });
});

describe('redrive between FIFO queues', () => {
  it('keeps each message group and its order', async () => {
    const dlq = await sqs.send(
      new CreateQueueCommand({ QueueName: 'orders-dlq.fifo', Attributes: { FifoQueue: 'true' } }),
    );
    const queue = await sqs.send(
      new CreateQueueCommand({ QueueName: 'orders.fifo', Attributes: { FifoQueue: 'true' } }),
    );
    const dlqUrl = required(dlq.QueueUrl, 'DLQ URL');
    const queueUrl = required(queue.QueueUrl, 'queue URL');
    const groups = {
      a: [envelope('orders', { n: 1 }), envelope('orders', { n: 2 })],
      b: [envelope('orders', { n: 3 })],
    };
    for (const [group, items] of Object.entries(groups)) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: dlqUrl,
          Entries: items.map((item, index) => ({
            Id: `e${index}`,
            MessageBody: JSON.stringify(item),
            MessageGroupId: group,
            MessageDeduplicationId: item.id,
            MessageAttributes: { topic: { DataType: 'String', StringValue: item.topic } },
          })),
        }),
      );
    }

    const result = await redrive(sqs, {
      sourceQueueUrl: dlqUrl,
      targetQueueUrl: queueUrl,
      waitTimeSeconds: 0,
    });

    expect(result).toMatchObject({ moved: 3, failed: 0 });
    const byGroup = new Map<string, string[]>();
    // A FIFO group stays locked while a message of it is in flight: take each one off as it comes.
    for (const message of await drainFifo(queueUrl)) {
      const group = message.Attributes?.MessageGroupId ?? '?';
      byGroup.set(group, [...(byGroup.get(group) ?? []), bodyOf(message).id]);
    }
    expect(Object.fromEntries(byGroup)).toEqual({
      a: groups.a.map((item) => item.id),
      b: groups.b.map((item) => item.id),
    });
    expect(await visibleCount(sqs, dlqUrl)).toBe(0);
  });
});

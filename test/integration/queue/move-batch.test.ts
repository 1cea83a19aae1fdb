import {
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { fauxqsSqsClient, type FauxqsHandle } from '../../peers/fauxqs';
import { moveBatch } from '../../../shared/queue/redrive/move-batch';
import type { Envelope } from '../../../shared/envelope';
import {
  createSinkQueues,
  sharedFauxqs,
  drain,
  envelope,
  eventIdsOf,
  sendEnvelopes,
  visibleCount,
} from '../cli/sink-queues';

let fauxqs: FauxqsHandle;
let sqs: SQSClient;
/** Each test gets its own stage, hence its own queues on the shared server. */
const freshStage = sharedFauxqs((server, client) => {
  fauxqs = server;
  sqs = client;
}, 'move');

/** Everything visible in the queue, received the way the redrive receives it (and now held). */
async function receiveAll(queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages);
  }
}

describe('moveBatch against an SQS server', () => {
  it('copies each message with its attributes, then deletes the originals', async () => {
    const { queueUrl, dlqUrl } = await createSinkQueues(sqs, 'kafka', freshStage());
    const events = [envelope('orders', { n: 1 }), envelope('refunds', { n: 2 })];
    await sendEnvelopes(sqs, dlqUrl, events, () => ({
      'eventgate-failure-reason': { DataType: 'String', StringValue: 'broker down' },
    }));

    const outcome = await moveBatch(
      sqs,
      { sourceQueueUrl: dlqUrl, targetQueueUrl: queueUrl },
      await receiveAll(dlqUrl),
    );

    expect(outcome).toEqual({ moved: 2, failures: [] });
    const moved = await drain(sqs, queueUrl);
    expect(eventIdsOf(moved)).toEqual(events.map((item) => item.id).sort());
    for (const message of moved) {
      expect(message.MessageAttributes?.['eventgate-failure-reason']?.StringValue).toBe('broker down');
      expect(message.MessageAttributes?.topic?.StringValue).toBe(
        (JSON.parse(message.Body ?? '{}') as Envelope).topic,
      );
    }
    expect(await visibleCount(sqs, dlqUrl)).toBe(0);
  });

  it('splits messages that together pass the 1 MiB batch payload into several calls', async () => {
    const { queueUrl, dlqUrl } = await createSinkQueues(sqs, 'postgres', freshStage());
    const events = [1, 2, 3].map((n) => envelope('orders', { n, blob: 'x'.repeat(400 * 1024) }));
    for (const item of events) {
      await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: JSON.stringify(item) }));
    }
    const received = await receiveAll(dlqUrl);
    expect(received).toHaveLength(3);
    // What a single call with all three would meet:
    await expect(
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: received.map((message, index) => ({ Id: `x${index}`, MessageBody: message.Body ?? '' })),
        }),
      ),
    ).rejects.toThrow(/Batch requests cannot be longer/);

    const outcome = await moveBatch(sqs, { sourceQueueUrl: dlqUrl, targetQueueUrl: queueUrl }, received);

    expect(outcome).toEqual({ moved: 3, failures: [] });
    expect(eventIdsOf(await drain(sqs, queueUrl))).toEqual(events.map((item) => item.id).sort());
    expect(await visibleCount(sqs, dlqUrl)).toBe(0);
  });

  it('leaves a message the target refuses in the source queue and moves the rest', async () => {
    // The target accepts at most 1 KiB; the source (created with defaults) holds a bigger message.
    const { queueUrl, dlqUrl } = await createSinkQueues(sqs, 's3', freshStage(), {
      MaximumMessageSize: '1024',
    });
    const small = envelope('orders', { n: 1 });
    const big = envelope('orders', { blob: 'x'.repeat(2048) });
    await sendEnvelopes(sqs, dlqUrl, [small, big]);
    const received = await receiveAll(dlqUrl);

    const outcome = await moveBatch(sqs, { sourceQueueUrl: dlqUrl, targetQueueUrl: queueUrl }, received);

    expect(outcome.moved).toBe(1);
    expect(outcome.stop).toBeUndefined();
    expect(outcome.failures).toEqual([
      expect.objectContaining({
        stage: 'send',
        message: expect.objectContaining({ Body: JSON.stringify(big) }),
      }),
    ]);
    expect(eventIdsOf(await drain(sqs, queueUrl))).toEqual([small.id]);
    // Still held by this receive: not deleted, so it comes back once its visibility runs out.
    expect(await visibleCount(sqs, dlqUrl)).toBe(0);
  });

  it('stops at a call that fails as a whole, and reports the calls it then did not try as not sent', async () => {
    const { queueUrl, dlqUrl } = await createSinkQueues(sqs, 'eventbridge', freshStage());
    const events = [1, 2, 3].map((n) => envelope('orders', { n, blob: 'x'.repeat(400 * 1024) }));
    for (const item of events) {
      await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: JSON.stringify(item) }));
    }
    const received = await receiveAll(dlqUrl);
    const failing = fauxqsSqsClient(fauxqs.endpoint);
    failing.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'SendMessageBatchCommand') throw new Error('simulated outage');
        return next(args);
      },
      { step: 'initialize', name: 'failSends' },
    );
    try {
      const outcome = await moveBatch(
        failing,
        { sourceQueueUrl: dlqUrl, targetQueueUrl: queueUrl },
        received,
      );

      // Two messages fit the first call, which fails; the third, left for a second call, is not tried.
      expect(outcome.moved).toBe(0);
      expect(outcome.stop).toBe('sending to the queue failed: simulated outage');
      expect(outcome.failures.map(({ stage, code, reason }) => ({ stage, code, reason }))).toEqual([
        { stage: 'send', code: 'Error', reason: 'simulated outage' },
        { stage: 'send', code: 'Error', reason: 'simulated outage' },
        { stage: 'send', code: 'NotSent', reason: 'not sent: sending to the queue failed: simulated outage' },
      ]);
    } finally {
      failing.destroy();
    }
    expect(await visibleCount(sqs, queueUrl)).toBe(0);
  });
});

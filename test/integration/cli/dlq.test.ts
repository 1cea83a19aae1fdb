import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { FauxqsHandle } from '../../peers/fauxqs';
import { runDlq, type DlqDeps } from '../../../shared/cli/dlq';
import {
  createSinkQueues,
  sharedFauxqs,
  envelope,
  recordIo,
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
}, 'dlq');

function deps(io: RecordedIo, extra: Partial<DlqDeps> = {}): DlqDeps {
  return { io, env: {}, clientConfig: fauxqs.clientConfig, ...extra };
}

async function deadLetters(stage: string, count: number): Promise<{ dlqUrl: string; ids: string[] }> {
  const { dlqUrl } = await createSinkQueues(sqs, 'postgres', stage);
  const envelopes = Array.from({ length: count }, (_, n) => envelope('public.cps.za.test', { n }));
  await sendEnvelopes(sqs, dlqUrl, envelopes, () => ({
    failure: { DataType: 'String', StringValue: 'rejected: invalid input syntax for type uuid' },
  }));
  return { dlqUrl, ids: envelopes.map((item) => item.id) };
}

describe('eventgate dlq peek', () => {
  test('lists dead-lettered events with their reason and leaves every one of them in the DLQ', async () => {
    const stage = freshStage();
    const { dlqUrl, ids } = await deadLetters(stage, 23);
    const io = recordIo();
    const code = await runDlq(
      ['peek', 'postgres', '--stage', stage, '--region', 'us-east-1', '--max', '50', '--json'],
      deps(io),
    );
    expect(code).toBe(0);
    const shown = JSON.parse(io.stdout.join('\n')) as {
      messages: Array<{ eventId: string; topic: string; attributes: Record<string, string> }>;
    };
    expect(shown.messages.map((message) => message.eventId).sort()).toEqual([...ids].sort());
    expect(shown.messages[0]?.topic).toBe('public.cps.za.test');
    expect(shown.messages[0]?.attributes.failure).toMatch(/invalid input syntax/);
    // Read, not moved: all of them are visible again straight away.
    expect(await visibleCount(sqs, dlqUrl)).toBe(23);
  });

  test('shows a body that is not an envelope as it is, and takes the event id from the message attributes', async () => {
    const stage = freshStage();
    const { dlqUrl } = await createSinkQueues(sqs, 'postgres', stage);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: dlqUrl,
        MessageBody: '{"not":"an envelope"}',
        MessageAttributes: { eventId: { DataType: 'String', StringValue: 'from-attributes' } },
      }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: 'plain text' }));
    const io = recordIo();
    expect(
      await runDlq(['peek', 'postgres', '--stage', stage, '--region', 'us-east-1', '--json'], deps(io)),
    ).toBe(0);
    const shown = JSON.parse(io.stdout.join('\n')) as {
      messages: Array<{ eventId?: string; topic?: string; body: string }>;
    };
    const byBody = new Map(shown.messages.map((message) => [message.body, message]));
    expect(byBody.get('{"not":"an envelope"}')).toMatchObject({ eventId: 'from-attributes' });
    expect(byBody.get('{"not":"an envelope"}')?.topic).toBeUndefined();
    expect(byBody.get('plain text')?.eventId).toBeUndefined();
  });

  test('stops at --max and prints a table', async () => {
    const stage = freshStage();
    await deadLetters(stage, 15);
    const io = recordIo();
    expect(
      await runDlq(['peek', 'postgres', '--stage', stage, '--region', 'us-east-1', '--max', '4'], deps(io)),
    ).toBe(0);
    const lines = io.stdout.join('\n').split('\n');
    expect(lines[0]).toMatch(/^EVENT ID\s+TOPIC\s+RECEIVED AT\s+TRIES\s+ATTRIBUTES$/);
    expect(lines).toHaveLength(5);
  });
});

describe('eventgate dlq purge', () => {
  test('deletes every message once the sink name is typed back', async () => {
    const stage = freshStage();
    const { dlqUrl } = await deadLetters(stage, 12);
    const io = recordIo();
    const asked: string[] = [];
    const code = await runDlq(
      ['purge', 'postgres', '--stage', stage, '--region', 'us-east-1'],
      deps(io, { confirm: async (question) => (asked.push(question), 'postgres') }),
    );
    expect(code).toBe(0);
    expect(asked[0]).toMatch(/Delete all 12 message\(s\) of the postgres DLQ/);
    expect(await visibleCount(sqs, dlqUrl)).toBe(0);
  });

  test('deletes nothing when the confirmation is wrong, or when there is no terminal and no --yes', async () => {
    const stage = freshStage();
    const { dlqUrl } = await deadLetters(stage, 3);
    const args = ['purge', 'postgres', '--stage', stage, '--region', 'us-east-1'];
    expect(await runDlq(args, deps(recordIo(), { confirm: async () => 'kafka' }))).toBe(1);
    const noTerminal = recordIo();
    expect(await runDlq(args, deps(noTerminal, { confirm: async () => undefined }))).toBe(2);
    expect(noTerminal.stderr.join('\n')).toMatch(/add --yes/);
    expect(await visibleCount(sqs, dlqUrl)).toBe(3);
    expect(await runDlq([...args, '--yes'], deps(recordIo()))).toBe(0);
    expect(await visibleCount(sqs, dlqUrl)).toBe(0);
  });

  test('refuses a bad command line with exit code 2', async () => {
    expect(await runDlq(['drop', 'postgres'], deps(recordIo()))).toBe(2);
    expect(await runDlq(['peek', 'rabbitmq'], deps(recordIo()))).toBe(2);
    expect(await runDlq(['peek', 'postgres', '--yes'], deps(recordIo()))).toBe(2);
  });
});

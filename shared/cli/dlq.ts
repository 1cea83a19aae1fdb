import { createInterface } from 'node:readline/promises';
import {
  ChangeMessageVisibilityBatchCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Command } from './main';
import {
  LOCATION_OPTIONS,
  UsageError,
  formatHelp,
  formatTable,
  parseCommandArgs,
  parseOrAnswer,
  positiveInteger,
  processIo,
} from './args';
import {
  describeLookupFailure,
  locateOptionsFrom,
  locateQueues,
  queueCounts,
  sinkArgument,
  type LocateOptions,
  type QueueCommandDeps,
  withLocationDeps,
} from './queues';
import { chunkBy } from '../batching/chunk';
import { SQS_MAX_BATCH_ENTRIES } from '../queue/publisher';
import { describeMessage } from '../queue/redrive/filter';
import { SINK_NAMES } from '../sinks/catalog';
import type { SinkName } from '../sinks/types';

const OPTIONS = {
  max: { type: 'string', valueName: 'n', description: 'peek: show at most n messages (default 10)' },
  yes: { type: 'boolean', short: 'y', description: 'purge: do not ask for confirmation' },
  ...LOCATION_OPTIONS,
} as const;

const USAGE = 'eventgate dlq <peek|purge> <sink> [options]';
const SUMMARY = `Looks into a sink's dead-letter queue, or empties it (sinks: ${SINK_NAMES.join(', ')}).`;
const NOTES = [
  'peek reads messages without moving them: each is hidden for a moment while it is read, then made',
  'visible again at once (its receive count goes up by one, which a DLQ does not act on).',
  'purge deletes every message of the DLQ for good (SQS allows one purge a minute per queue). It asks',
  'you to type the sink name first; --yes skips that, and is required when no terminal is attached.',
  'Exit code: 0 on success, 1 when the queue could not be read or purged, 2 for a bad command line.',
];

/** How long a peeked message stays hidden if peek is interrupted before it makes it visible again. */
const PEEK_VISIBILITY_SECONDS = 30;
const DEFAULT_PEEK_MAX = 10;

export interface DlqDeps extends QueueCommandDeps {
  /** Answers the purge confirmation; reads the terminal by default (undefined: none attached). */
  confirm?: (question: string) => Promise<string | undefined>;
}

interface DlqRequest {
  action: 'peek' | 'purge';
  sink: SinkName;
  max: number;
  yes: boolean;
  json: boolean;
  locate: LocateOptions;
}

export function parseDlqArgs(args: readonly string[]): DlqRequest | 'help' {
  const { values, positionals } = parseCommandArgs(args, OPTIONS, { positionals: 2 });
  if (values.help) return 'help';
  const action = positionals[0];
  if (action !== 'peek' && action !== 'purge') {
    throw new UsageError(
      action === undefined ? 'peek or purge?' : `unknown action "${action}"; peek or purge`,
    );
  }
  const sink = sinkArgument(positionals[1]);
  if (action === 'peek' && values.yes) throw new UsageError('--yes goes with purge');
  if (action === 'purge' && values.max !== undefined) throw new UsageError('--max goes with peek');
  return {
    action,
    sink,
    max: values.max === undefined ? DEFAULT_PEEK_MAX : positiveInteger(values.max, '--max'),
    yes: values.yes === true,
    json: values.json === true,
    locate: locateOptionsFrom(values),
  };
}

/** One dead-lettered message as peek shows it. */
export interface PeekedMessage {
  messageId: string;
  eventId?: string;
  topic?: string;
  receivedAt?: string;
  /** Attempts before and during its time in the DLQ (SQS's ApproximateReceiveCount). */
  receiveCount: number;
  /** Message attributes, e.g. why a worker parked it here. */
  attributes: Record<string, string>;
  body: string;
}

/** The message as peek shows it: what redrive learns of it (attributes, else the envelope), and more. */
function describe(message: Message): PeekedMessage {
  const { messageId, eventId, topic, receivedAt, receiveCount } = describeMessage(message);
  return {
    messageId,
    ...(eventId === undefined ? {} : { eventId }),
    ...(topic === undefined ? {} : { topic }),
    ...(receivedAt === undefined ? {} : { receivedAt }),
    receiveCount: receiveCount ?? 0,
    attributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue ?? '']),
    ),
    body: message.Body ?? '',
  };
}

/** Reads up to `max` messages, then hands every one of them straight back to the queue. */
export async function peekQueue(client: SQSClient, queueUrl: string, max: number): Promise<PeekedMessage[]> {
  const held = new Map<string, Message>();
  try {
    while (held.size < max) {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(SQS_MAX_BATCH_ENTRIES, max - held.size),
          VisibilityTimeout: PEEK_VISIBILITY_SECONDS,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          MessageAttributeNames: ['All'],
        }),
      );
      const fresh = Messages.filter((message) => message.MessageId && !held.has(message.MessageId));
      if (fresh.length === 0) break;
      for (const message of fresh) held.set(message.MessageId as string, message);
    }
  } finally {
    for (const chunk of chunkBy([...held.values()], { maxCount: SQS_MAX_BATCH_ENTRIES })) {
      await client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle as string,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }
  return [...held.values()].map(describe);
}

async function askTerminal(question: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) return undefined;
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await terminal.question(question);
  } finally {
    terminal.close();
  }
}

export async function runDlq(args: readonly string[], deps: DlqDeps = {}): Promise<number> {
  const io = deps.io ?? processIo();
  const parsed = parseOrAnswer(
    'dlq',
    () => parseDlqArgs(args),
    () => formatHelp(USAGE, SUMMARY, OPTIONS, NOTES),
    io,
  );
  if ('exitCode' in parsed) return parsed.exitCode;
  const { request } = parsed;
  let client: SQSClient | undefined;
  try {
    const location = await locateQueues(withLocationDeps(request.locate, deps), [request.sink]);
    client = location.client;
    const dlqUrl = location.sinks[0]?.dlqUrl;
    if (dlqUrl === undefined) {
      io.err(`eventgate dlq: no ${request.sink} DLQ in ${location.where}`);
      return 1;
    }
    if (request.action === 'peek') {
      const messages = await peekQueue(client, dlqUrl, request.max);
      if (request.json) {
        io.out(JSON.stringify({ sink: request.sink, dlqUrl, messages }, null, 2));
      } else if (messages.length === 0) {
        io.out(`The ${request.sink} DLQ in ${location.where} is empty.`);
      } else {
        io.out(
          formatTable(
            ['EVENT ID', 'TOPIC', 'RECEIVED AT', 'TRIES', 'ATTRIBUTES'],
            messages.map((message) => [
              message.eventId ?? `(not an envelope: ${message.messageId})`,
              message.topic ?? '-',
              message.receivedAt ?? '-',
              message.receiveCount,
              Object.entries(message.attributes)
                .map(([name, value]) => `${name}=${value}`)
                .join(' '),
            ]),
          ),
        );
      }
      return 0;
    }

    const { visible, inFlight, delayed } = await queueCounts(client, dlqUrl);
    const count = visible + inFlight + delayed;
    if (!request.yes) {
      const answer = await (deps.confirm ?? askTerminal)(
        `Delete all ${count} message(s) of the ${request.sink} DLQ in ${location.where} for good? ` +
          `Type "${request.sink}" to confirm: `,
      );
      if (answer === undefined) {
        io.err('eventgate dlq: no terminal to confirm on; add --yes to purge without asking');
        return 2;
      }
      if (answer.trim() !== request.sink) {
        io.err('eventgate dlq: not confirmed; nothing was deleted');
        return 1;
      }
    }
    await client.send(new PurgeQueueCommand({ QueueUrl: dlqUrl }));
    io.out(`Purged the ${request.sink} DLQ (${count} message(s)).`);
    return 0;
  } catch (error) {
    io.err(`eventgate dlq: ${describeLookupFailure(error, request.locate.local === true)}`);
    return 1;
  } finally {
    client?.destroy();
  }
}

export const command: Command = {
  summary: 'peek into or purge a sink DLQ',
  run: (args) => runDlq(args),
};

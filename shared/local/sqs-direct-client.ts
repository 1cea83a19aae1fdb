import { SQSServiceException, type SQSClient } from '@aws-sdk/client-sqs';
import type { MessageBatchSender, SendMessageBatchOutput } from '../queue/send-message-batch';
import {
  DIRECT_ACTIONS,
  ENTRIES_JSON,
  type DirectAction,
  type DirectCall,
  type DirectResult,
  type ToSqsServer,
} from './sqs-direct-protocol';

/** The current server process's end of the channel; absent while it is down or restarting. */
export interface DirectChannel {
  post(message: ToSqsServer): void;
}

interface Pending {
  action: DirectAction;
  resolve(output: Record<string, unknown>): void;
  reject(error: Error): void;
}

/**
 * Sends held back while earlier ones are unanswered, at most: past it they go at once anyway.
 */
const MAX_HELD_SENDS = 256;

/**
 * The local runtime's side of the direct calls to its embedded SQS server (sqs-direct-protocol.ts).
 * Calls made within one turn of the event loop — the queue messages of every request the HTTP
 * server read in that turn, the receives that fill a worker's batch — travel in one IPC message and
 * are committed by the server in one transaction.
 *
 * Sends are also grouped across turns (a group commit): while the server has not yet answered the
 * sends it was given, new ones wait and go together the moment it has. Under load that makes each
 * message, and each transaction, several times larger (each message costs both processes a system
 * call and a wake-up, whatever its size); a lone send still goes at once.
 */
export class DirectSqsCalls {
  private nextId = 1;
  private channel?: DirectChannel;
  private queued: DirectCall[] = [];
  /** Of the queued calls, how many are not sends (those are never held back). */
  private queuedOthers = 0;
  private flushScheduled = false;
  /** Sends posted to the server and not answered yet. */
  private sendsInFlight = 0;
  private readonly pending = new Map<number, Pending>();

  call(action: DirectAction, input: object): Promise<Record<string, unknown>> {
    if (!this.channel) return Promise.reject(new Error('the embedded SQS server is not running'));
    const id = this.nextId++;
    this.queued.push({ id, action, input });
    if (action !== 'SendMessageBatch') this.queuedOthers += 1;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return new Promise((resolve, reject) => this.pending.set(id, { action, resolve, reject }));
  }

  /** A (re)started server process is ready for calls. */
  connect(channel: DirectChannel): void {
    this.channel = channel;
  }

  /** The server process is gone: what it had not answered fails, as a dropped connection would. */
  disconnect(reason: string): void {
    this.channel = undefined;
    this.queued = [];
    this.queuedOthers = 0;
    this.sendsInFlight = 0;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const call of pending) call.reject(new Error(`the embedded SQS server stopped: ${reason}`));
  }

  settle(results: readonly DirectResult[]): void {
    this.settleEach(results);
    // The group in flight is answered: the sends held back meanwhile go now, together.
    if (this.sendsInFlight === 0 && this.queued.length > 0 && !this.flushScheduled) this.flush();
  }

  private settleEach(results: readonly DirectResult[]): void {
    for (const result of results) {
      const call = this.pending.get(result.id);
      if (!call) continue;
      this.pending.delete(result.id);
      if (call.action === 'SendMessageBatch') this.sendsInFlight -= 1;
      if ('output' in result) call.resolve(result.output);
      else {
        call.reject(
          new SQSServiceException({
            name: result.error.code,
            message: result.error.message,
            $fault: result.error.senderFault ? 'client' : 'server',
            $metadata: {},
          }),
        );
      }
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.queued.length === 0) return;
    // Only sends, while earlier ones are in flight: they go with the next group (see settle).
    if (this.queuedOthers === 0 && this.sendsInFlight > 0 && this.queued.length < MAX_HELD_SENDS) return;
    const calls = this.queued;
    this.queued = [];
    this.queuedOthers = 0;
    if (!this.channel) {
      this.disconnect('not running');
      return;
    }
    for (const call of calls) if (call.action === 'SendMessageBatch') this.sendsInFlight += 1;
    this.channel.post({ type: 'calls', calls });
  }
}

interface AttributeValue {
  BinaryValue?: unknown;
  BinaryListValues?: unknown[];
}

function isDirectAction(name: string): name is DirectAction {
  return (DIRECT_ACTIONS as readonly string[]).includes(name);
}

/** Binary attribute values are bytes in the SDK's inputs and base64 in JSON: those calls keep to HTTP. */
function carriesBytes(input: object): boolean {
  const entries = (input as { Entries?: Array<{ MessageAttributes?: Record<string, AttributeValue> }> })
    .Entries;
  return (entries ?? []).some((entry) =>
    Object.values(entry.MessageAttributes ?? {}).some(
      (value) => value.BinaryValue !== undefined || (value.BinaryListValues?.length ?? 0) > 0,
    ),
  );
}

/** What the SDK's JSON deserializer does to received binary attributes: base64 becomes bytes. */
function decodeBinaryAttributes(output: Record<string, unknown>): void {
  const messages = (output.Messages ?? []) as Array<{ MessageAttributes?: Record<string, AttributeValue> }>;
  for (const message of messages) {
    for (const value of Object.values(message.MessageAttributes ?? {})) {
      if (typeof value.BinaryValue === 'string')
        value.BinaryValue = new Uint8Array(Buffer.from(value.BinaryValue, 'base64'));
      if (value.BinaryListValues) {
        value.BinaryListValues = value.BinaryListValues.map((item) =>
          typeof item === 'string' ? new Uint8Array(Buffer.from(item, 'base64')) : item,
        );
      }
    }
  }
}

/**
 * Sends the SQS calls every event makes (SendMessageBatch, ReceiveMessage, DeleteMessageBatch)
 * through `calls` instead of HTTP, for this client only; every other command, and any of these
 * carrying binary attributes, still goes over HTTP to the same server.
 *
 * Why: measured on the development machine, each SQS call through the SDK costs 0.8 ms of the
 * caller's CPU (middleware, signing, serialisation, checksums, HTTP) and 0.4 ms of the server's,
 * and SQS takes at most ten messages per call. At one event per request that is over 1 ms of CPU
 * per event before any real work, which capped the local runtime at a few hundred events/s on two
 * cores. The middleware runs first in the SDK's stack and answers before any of that, with what
 * fauxqs's own action function answered, so the callers (the queue publisher, the pollers, the
 * worker) are the code the deployed functions run, unchanged.
 *
 * Left out on this path: the SDK's retries (a call fails only when the server process is gone,
 * and the supervisor restarts it), its MD5 checks of bodies (nothing between the two processes can
 * alter them) and aborting a call (a long poll ends by itself within its wait time).
 */
export function routeDirectCalls(client: SQSClient, calls: DirectSqsCalls): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const action = context.commandName?.replace(/Command$/, '') ?? '';
      if (!isDirectAction(action) || carriesBytes(args.input)) return next(args);
      const output = await calls.call(action, args.input);
      if (action === 'ReceiveMessage') decodeBinaryAttributes(output);
      return {
        output: { ...output, $metadata: { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 } },
        response: undefined,
      } as Awaited<ReturnType<typeof next>>;
    },
    { step: 'initialize', priority: 'high', name: 'eventgateDirectSqsCalls' },
  );
}

/**
 * The queue publisher's enqueues over the same direct channel. The publisher sends its batches
 * itself rather than through the SDK's commands (shared/queue/send-message-batch.ts), so the
 * middleware above never sees them: this is their way to the embedded server.
 */
export function directBatchSender(calls: DirectSqsCalls): MessageBatchSender {
  return {
    async sendSerialized(queueUrl: string, entries: readonly string[]): Promise<SendMessageBatchOutput> {
      const output = await calls.call('SendMessageBatch', {
        QueueUrl: queueUrl,
        [ENTRIES_JSON]: `[${entries.join(',')}]`,
      });
      return {
        Successful: (output.Successful ?? []) as SendMessageBatchOutput['Successful'],
        Failed: (output.Failed ?? []) as SendMessageBatchOutput['Failed'],
      };
    },
  };
}

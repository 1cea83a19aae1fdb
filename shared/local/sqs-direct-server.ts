import {
  ENTRIES_JSON,
  type DirectAction,
  type DirectCall,
  type DirectError,
  type DirectResult,
} from './sqs-direct-protocol';
import { describeError } from '../errors/describe';

/**
 * One of fauxqs's SQS action functions, as its HTTP router calls them: the JSON protocol's request
 * body in, the response body out (or a promise of it: ReceiveMessage may long-poll), an SqsError
 * (`code`, `senderFault`) thrown for a refused request.
 */
export type SqsAction<Store> = (input: Record<string, unknown>, store: Store) => unknown;

export interface DirectCallServerOptions<Store> {
  actions: Record<DirectAction, SqsAction<Store>>;
  store: Store;
  /** Runs synchronous work in one transaction of the store's database; throws if it did not commit. */
  transaction: (work: () => void) => void;
  /** Sends answers back to the caller. */
  reply: (results: DirectResult[]) => void;
}

function directError(error: unknown): DirectError {
  const raised = error as { code?: unknown; senderFault?: unknown; message?: unknown };
  if (typeof raised.code === 'string' && typeof raised.senderFault === 'boolean') {
    return { code: raised.code, message: String(raised.message ?? ''), senderFault: raised.senderFault };
  }
  return {
    code: 'InternalError',
    message: describeError(error),
    senderFault: false,
  };
}

/** The call's input as the action function takes it: entries sent as JSON text parsed here. */
function inputOf(call: DirectCall): Record<string, unknown> {
  const input = call.input as Record<string, unknown>;
  const serialized = input[ENTRIES_JSON];
  if (typeof serialized !== 'string') return input;
  const { [ENTRIES_JSON]: _text, ...rest } = input;
  return { ...rest, Entries: JSON.parse(serialized) as unknown };
}

/**
 * Runs the direct calls of the local runtime (see sqs-direct-protocol.ts) with fauxqs's own action
 * functions, so a message sent, received or deleted this way follows exactly the rules of one sent
 * over HTTP (validation, receive counts, visibility, the redrive policy).
 *
 * Calls that arrive within one turn of the event loop run together in one transaction (a group
 * commit): the disk sees one commit for all the messages of many requests instead of one per
 * message. Nothing is answered before its transaction has committed, so a send that was answered
 * survives `kill -9` of any process. A receive that has to wait for messages (long polling) commits
 * what it takes when it takes it, on its own.
 */
export class DirectCallServer<Store> {
  private waiting: DirectCall[] = [];
  private answers: DirectResult[] = [];

  constructor(private readonly options: DirectCallServerOptions<Store>) {}

  accept(calls: readonly DirectCall[]): void {
    if (this.waiting.length === 0) setImmediate(() => this.runWaiting());
    this.waiting.push(...calls);
  }

  private runWaiting(): void {
    const calls = this.waiting;
    this.waiting = [];
    const outcomes: Array<Promise<DirectResult>> = [];
    try {
      this.options.transaction(() => {
        for (const call of calls) outcomes.push(this.start(call));
      });
    } catch (error) {
      // Nothing of this group reached the disk: none of it may be reported as done.
      const failure = directError(error);
      for (const call of calls) this.answer({ id: call.id, error: { ...failure, senderFault: false } });
      return;
    }
    for (const outcome of outcomes) void outcome.then((result) => this.answer(result));
  }

  /** Starts a call inside the transaction: its synchronous part (all of it, unless it long-polls) runs now. */
  private start(call: DirectCall): Promise<DirectResult> {
    const { id } = call;
    try {
      const output = this.options.actions[call.action](inputOf(call), this.options.store);
      return Promise.resolve(output).then(
        (value) => ({ id, output: (value ?? {}) as Record<string, unknown> }),
        (error: unknown) => ({ id, error: directError(error) }),
      );
    } catch (error) {
      return Promise.resolve({ id, error: directError(error) });
    }
  }

  /** Answers that are ready within one turn of the event loop go back in one message. */
  private answer(result: DirectResult): void {
    if (this.answers.length === 0) {
      setImmediate(() => {
        const answers = this.answers;
        this.answers = [];
        this.options.reply(answers);
      });
    }
    this.answers.push(result);
  }
}

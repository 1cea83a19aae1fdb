import { Logger } from '@aws-lambda-powertools/logger';
import type {
  ConstructorOptions,
  LogItemExtraInput,
  LogItemMessage,
} from '@aws-lambda-powertools/logger/types';
import type { Context } from 'aws-lambda';

/** What an invocation asked its log lines to carry, not yet handed to Powertools. */
interface PendingInvocation {
  readonly context: Context | undefined;
  readonly keys: Record<string, string>;
  /** Taken when the invocation started, so a first line written later still reports it truly. */
  readonly coldStart: boolean;
}

/**
 * Powertools' logger keeps its keys in an invocation-scoped store that reads `process.env` on every
 * access: dropping the last invocation's keys and adding the new ones cost the ingest handler about
 * 1.5 µs per request, most of which write no line at all. So an invocation's context and keys are
 * noted when it starts and handed to Powertools just before its first line is written (or before
 * anyone changes the keys themselves): every line still carries exactly what it did.
 *
 * Where Lambda runs several invocations at once in one process (AWS_LAMBDA_MAX_CONCURRENCY is set),
 * Powertools keeps each invocation's keys apart in its own async context, so they are set at once,
 * inside that context, as before.
 */
export class InvocationLogger extends Logger {
  private pending: PendingInvocation | undefined;
  /** Set while a pending invocation's context is added: the cold start it took when it began. */
  private coldStartOfPending: boolean | undefined;
  private readonly concurrentInvocations: boolean;

  constructor(options: ConstructorOptions = {}, env: NodeJS.ProcessEnv = process.env) {
    super(options);
    this.concurrentInvocations = (env.AWS_LAMBDA_MAX_CONCURRENCY ?? '').trim() !== '';
  }

  /**
   * Every line logged until the next invocation starts carries the Lambda context (when given) and
   * `keys`; the keys of the previous invocation are dropped.
   */
  startInvocation(context: Context | undefined, keys: Record<string, string>): void {
    const withContext = context?.awsRequestId ? context : undefined;
    if (this.concurrentInvocations) {
      this.resetKeys();
      if (withContext) this.addContext(withContext);
      this.appendKeys(keys);
      return;
    }
    // Only the first invocation of an on-demand environment is a cold start: ask now, not at its first line.
    this.pending = { context: withContext, keys, coldStart: withContext ? super.getColdStart() : false };
  }

  protected override getColdStart(): boolean {
    return this.coldStartOfPending ?? super.getColdStart();
  }

  protected override processLogItem(
    logLevel: number,
    input: LogItemMessage,
    extraInput: LogItemExtraInput,
  ): void {
    this.applyPendingInvocation();
    super.processLogItem(logLevel, input, extraInput);
  }

  override appendKeys(attributes: Parameters<Logger['appendKeys']>[0]): void {
    this.applyPendingInvocation();
    super.appendKeys(attributes);
  }

  override removeKeys(keys: string[]): void {
    this.applyPendingInvocation();
    super.removeKeys(keys);
  }

  override resetKeys(): void {
    this.applyPendingInvocation();
    super.resetKeys();
  }

  override addContext(context: Parameters<Logger['addContext']>[0]): void {
    this.applyPendingInvocation();
    super.addContext(context);
  }

  private applyPendingInvocation(): void {
    // Read before the constructor has run to the end, the field is still undefined.
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    super.resetKeys();
    if (pending.context) {
      this.coldStartOfPending = pending.coldStart;
      try {
        super.addContext(pending.context);
      } finally {
        this.coldStartOfPending = undefined;
      }
    }
    super.appendKeys(pending.keys);
  }
}

/** One structured JSON logger per process. */
export const logger = new InvocationLogger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'eventgate',
});

/**
 * Called as each invocation starts: every line logged until the next one carries the Lambda context
 * (request id, function name and version, cold start) and the given keys, such as the request's
 * correlation id. A Lambda container runs one invocation at a time, so the keys of the previous one
 * are dropped here. (The local runtime serves requests concurrently; its lines about one event also
 * name the correlation id explicitly.)
 */
export function startInvocation(context: Context | undefined, keys: Record<string, string> = {}): void {
  logger.startInvocation(context, keys);
}

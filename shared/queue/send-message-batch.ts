import type {
  BatchResultErrorEntry,
  SendMessageBatchRequestEntry,
  SendMessageBatchResultEntry,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  isClockSkewCorrectedError,
  isClockSkewError,
  isServerError,
  isThrottlingError,
  isTransientError,
  StandardRetryStrategy,
} from '@smithy/core/retry';
import { HttpRequest } from '@smithy/core/transport';
import type { AwsCredentialIdentity, RetryErrorType, RetryStrategyV2, RetryToken } from '@smithy/types';
import { SigV4Signer } from './sigv4';

/** One SendMessageBatch call: the queue and up to 10 entries (see `SendMessageBatchSender`). */
export interface SendMessageBatchInput {
  QueueUrl: string;
  Entries: readonly SendMessageBatchRequestEntry[];
}

export interface SendMessageBatchOutput {
  Successful: SendMessageBatchResultEntry[];
  Failed: BatchResultErrorEntry[];
}

/**
 * What the queue publisher needs to enqueue: one SendMessageBatch whose entries are already JSON.
 * `SendMessageBatchSender` sends it to SQS; the local runtime has one of its own for its embedded
 * server (shared/local/sqs-direct-client.ts).
 */
export interface MessageBatchSender {
  sendSerialized(queueUrl: string, entries: readonly string[]): Promise<SendMessageBatchOutput>;
}

/** An error answer from SQS, shaped as the SDK shapes its service errors (so its retry rules apply). */
export class SqsServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number; requestId?: string; clockSkewCorrected?: true };

  constructor(code: string, message: string, statusCode: number, requestId: string | undefined) {
    super(message || code);
    this.name = code;
    this.$fault = statusCode >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: statusCode, ...(requestId ? { requestId } : {}) };
  }
}

const TARGET = 'AmazonSQS.SendMessageBatch';
const CONTENT_TYPE = 'application/x-amz-json-1.0';

interface ErrorBody {
  __type?: string;
  message?: string;
  Message?: string;
}

/** `com.amazonaws.sqs#QueueDoesNotExist` → `QueueDoesNotExist`; the query-compatible header wins. */
function errorCode(body: ErrorBody, queryError: string | undefined): string {
  const compatible = queryError?.split(';')[0];
  if (compatible) return compatible;
  const type = body.__type ?? 'UnknownError';
  return type.slice(type.lastIndexOf('#') + 1);
}

function retryErrorType(error: unknown): RetryErrorType | undefined {
  // The SDK's own rules for what is worth another attempt (its names, status codes and socket errors).
  const classified = error as Parameters<typeof isThrottlingError>[0];
  // A signature refused for a skewed clock is worth another try once the clock offset is corrected.
  if (isClockSkewCorrectedError(classified)) return 'TRANSIENT';
  if (isThrottlingError(classified)) return 'THROTTLING';
  if (isTransientError(classified)) return 'TRANSIENT';
  if (isServerError(classified)) return 'SERVER_ERROR';
  return undefined;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * SendMessageBatch, the one call on the async ingest path, sent without the SDK's command
 * pipeline.
 *
 * Why not `client.send(new SendMessageBatchCommand(…))`: measured on one core, a one-entry call
 * costs 180–210 µs of CPU through the SDK's middleware stack (schema-driven serialisation, endpoint
 * rules, user agent, MD5 of every body sent and received) against a handler whose own work per
 * event is about 20 µs, so the SDK capped async ingest at a few thousand events/s. Here a call costs
 * the JSON, one SigV4 signature and the transport.
 *
 * What it keeps from the SDK is what matters for correctness, taken from the client's own resolved
 * configuration: its credentials (with their refresh), its request handler (keep-alive agent,
 * timeouts) and its retry strategy (back-off and retry budget). The SigV4 signature is written out
 * in ./sigv4.ts, for the same reason as the rest (and checked against the SDK's signer). What it
 * leaves out: endpoint rules (the queue URL names its endpoint, which is what the SDK itself does with
 * `useQueueUrlAsEndpoint`), the user agent, and the MD5 check of message bodies, which guards against
 * corruption in transit that TLS already detects.
 */
export class SendMessageBatchSender implements MessageBatchSender {
  private signer: Promise<SigV4Signer> | undefined;
  private fallbackStrategy: RetryStrategyV2 | undefined;
  private configured: Promise<URL | undefined> | undefined;
  /** Each queue URL's endpoint: a handful of queues, looked up on every call. */
  private readonly endpoints = new Map<string, URL>();

  constructor(private readonly client: SQSClient) {}

  async send(input: SendMessageBatchInput): Promise<SendMessageBatchOutput> {
    return this.sendSerialized(
      input.QueueUrl,
      input.Entries.map((entry) => JSON.stringify(entry)),
    );
  }

  /**
   * The same call with each entry already written as JSON: a caller that sends one message to
   * several queues quotes its body once instead of once per queue (a JSON body inside JSON is
   * escaped character by character, the larger part of a call's CPU).
   */
  async sendSerialized(queueUrl: string, entries: readonly string[]): Promise<SendMessageBatchOutput> {
    // As bytes once: hashed for the signature and sent as they are, not encoded twice.
    const body = Buffer.from(`{"QueueUrl":${JSON.stringify(queueUrl)},"Entries":[${entries.join(',')}]}`);
    const endpoint = await this.endpointFor(queueUrl);
    const strategy = await this.retryStrategy();
    let token: RetryToken = await strategy.acquireInitialRetryToken('sqs');
    for (;;) {
      try {
        const output = await this.attempt(endpoint, body);
        strategy.recordSuccess(token);
        return output;
      } catch (error) {
        const errorType = retryErrorType(error);
        if (!errorType) throw error;
        try {
          token = await strategy.refreshRetryTokenForRetry(token, { errorType });
        } catch {
          throw error; // out of attempts or retry budget: the last error is the answer
        }
        await delay(token.getRetryDelay());
      }
    }
  }

  /**
   * Where the call goes, by the SDK's rule: an endpoint the client was given, or one configured for
   * SQS in the environment or the shared config (`AWS_ENDPOINT_URL_SQS`: a local SQS server), else
   * the queue URL's own origin, else the region's endpoint. Worked out once per queue URL.
   */
  private async endpointFor(queueUrl: string): Promise<URL> {
    const known = this.endpoints.get(queueUrl);
    if (known) return known;
    const config = this.client.config;
    let endpoint = await this.configuredEndpoint();
    if (!endpoint && config.useQueueUrlAsEndpoint && URL.canParse(queueUrl)) {
      const origin = new URL(queueUrl).origin;
      // A queue "URL" that names no http(s) origin goes to the region's endpoint, as with the SDK.
      if (origin !== 'null') endpoint = new URL(origin);
    }
    endpoint ??= await this.regionEndpoint();
    this.endpoints.set(queueUrl, endpoint);
    return endpoint;
  }

  private configuredEndpoint(): Promise<URL | undefined> {
    this.configured ??= (async () => {
      const config = this.client.config as typeof this.client.config & {
        ignoreConfiguredEndpointUrls?: boolean;
        serviceConfiguredEndpoint?: () => Promise<string | undefined>;
      };
      if (config.isCustomEndpoint && config.endpoint) {
        const endpoint = await config.endpoint();
        const port = endpoint.port ? `:${endpoint.port}` : '';
        return new URL(`${endpoint.protocol}//${endpoint.hostname}${port}${endpoint.path}`);
      }
      if (config.ignoreConfiguredEndpointUrls || !config.serviceConfiguredEndpoint) return undefined;
      const fromConfig = await config.serviceConfiguredEndpoint();
      return fromConfig ? new URL(fromConfig) : undefined;
    })();
    return this.configured;
  }

  private async regionEndpoint(): Promise<URL> {
    const config = this.client.config;
    const resolved = config.endpointProvider({
      Region: await config.region(),
      UseFIPS: await config.useFipsEndpoint(),
      UseDualStack: await config.useDualstackEndpoint(),
    });
    return new URL(resolved.url.href);
  }

  private async createSigner(): Promise<SigV4Signer> {
    return new SigV4Signer(await this.client.config.region(), 'sqs');
  }

  /** The client's retry strategy; one of the SDK's older, middleware-shaped ones is replaced by the standard one. */
  private async retryStrategy(): Promise<RetryStrategyV2> {
    const configured = await this.client.config.retryStrategy();
    if ('acquireInitialRetryToken' in configured) return configured;
    this.fallbackStrategy ??= new StandardRetryStrategy(this.client.config.maxAttempts);
    return this.fallbackStrategy;
  }

  /**
   * As the SDK does: when SQS refuses a signature for the caller's clock, take the offset from the
   * server's `Date` and sign the next attempts with it (on the client's config, so its other calls
   * get it too).
   */
  private correctClockSkew(error: SqsServiceError, serverDate: string | undefined): void {
    if (!serverDate || !isClockSkewError(error as Parameters<typeof isClockSkewError>[0])) return;
    const serverTime = Date.parse(serverDate);
    if (Number.isNaN(serverTime)) return;
    const offset = serverTime - Date.now();
    const config = this.client.config as { systemClockOffset?: number };
    if (Math.abs(offset - (config.systemClockOffset ?? 0)) < 60_000) return;
    config.systemClockOffset = offset;
    error.$metadata.clockSkewCorrected = true;
  }

  private async attempt(endpoint: URL, body: Buffer): Promise<SendMessageBatchOutput> {
    const config = this.client.config;
    const signer = await (this.signer ??= this.createSigner());
    // The client's credential provider: it caches what it resolved and refreshes it before expiry.
    const credentials: AwsCredentialIdentity = await config.credentials();
    const headers = signer.sign(
      { host: endpoint.host, path: endpoint.pathname, contentType: CONTENT_TYPE, target: TARGET, body },
      credentials,
      Date.now() + (config.systemClockOffset ?? 0),
    );
    const request = new HttpRequest({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      path: endpoint.pathname,
      headers,
      body,
    });
    const { response } = await config.requestHandler.handle(request);
    const bytes = await config.streamCollector(response.body);
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    const answerHeaders = response.headers;
    if (response.statusCode >= 200 && response.statusCode < 300) {
      const parsed = JSON.parse(text) as Partial<SendMessageBatchOutput>;
      return { Successful: parsed.Successful ?? [], Failed: parsed.Failed ?? [] };
    }
    let parsed: ErrorBody = {};
    try {
      parsed = JSON.parse(text) as ErrorBody;
    } catch {
      // A proxy or load balancer answered with something that is not SQS JSON; the status says enough.
    }
    const error = new SqsServiceError(
      errorCode(parsed, answerHeaders['x-amzn-query-error']),
      parsed.message ?? parsed.Message ?? `HTTP ${response.statusCode}`,
      response.statusCode,
      answerHeaders['x-amzn-requestid'],
    );
    this.correctClockSkew(error, answerHeaders.date ?? answerHeaders.Date);
    throw error;
  }
}

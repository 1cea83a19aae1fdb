import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One PutEvents entry as it arrived on the wire (AWS JSON 1.1: `Time` is epoch seconds). */
export interface WireEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  Time?: number;
  TraceHeader?: string;
}

export interface RecordedEntry extends WireEntry {
  /** The EventId the server answered with. */
  eventId: string;
  /** 1-based number of the PutEvents call that carried it. */
  call: number;
}

export interface RecordedCall {
  entries: WireEntry[];
  /** HTTP status answered; 0 when the call was left hanging. */
  status: number;
  failedEntryCount: number;
}

export interface EntryFailureOptions {
  /** How many matching entries fail before the rule is used up. Default: every one. */
  times?: number;
  message?: string;
}

export interface WholeCallFailureOptions {
  /** How many calls fail. Default 1. */
  times?: number;
  /** `__type` of the error body. Default InternalException for 5xx, ValidationException otherwise. */
  errorType?: string;
  message?: string;
}

export interface EventBridgeServerHandle {
  /** `http://127.0.0.1:PORT`, for the client's `endpoint`. */
  endpoint: string;
  /** Entries accepted, in arrival order. */
  entries: RecordedEntry[];
  /** Every PutEvents call, failed or not. */
  calls: RecordedCall[];
  /** Fails each entry `predicate` accepts with `errorCode` (e.g. ThrottlingException), `times` times. */
  failEntries(
    predicate: (entry: WireEntry) => boolean,
    errorCode: string,
    options?: EntryFailureOptions,
  ): void;
  /** Fails every entry of the next `calls` calls with `errorCode`. */
  failNext(calls: number, errorCode?: string): void;
  /** Answers the next call(s) with an HTTP error and an AWS JSON error body. */
  failWholeCall(status: number, options?: WholeCallFailureOptions): void;
  /** Never answers the next `calls` calls (a peer that hangs); stop() ends them. */
  stallNext(calls?: number): void;
  /** Forgets recorded entries, calls and pending failures. */
  reset(): void;
  stop(): Promise<void>;
}

// PutEvents limits, enforced so a sink that ignores them fails here as it would in AWS.
const MAX_ENTRIES_PER_CALL = 10;
const MAX_CALL_BYTES = 256 * 1024;

export function wireEntrySize(entry: WireEntry): number {
  let size = 0;
  if (entry.Time !== undefined) size += 14;
  if (entry.Source) size += Buffer.byteLength(entry.Source);
  if (entry.DetailType) size += Buffer.byteLength(entry.DetailType);
  if (entry.Detail) size += Buffer.byteLength(entry.Detail);
  for (const resource of entry.Resources ?? []) size += Buffer.byteLength(resource);
  return size;
}

interface EntryRule {
  predicate: (entry: WireEntry) => boolean;
  errorCode: string;
  message: string;
  remaining: number;
}

interface CallRule {
  status: number;
  errorType: string;
  message: string;
  remaining: number;
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * A stand-in for the EventBridge PutEvents API on 127.0.0.1: it speaks AWS JSON 1.1, records
 * what it accepts and answers with the real response shapes, and fails entries or whole calls
 * on request.
 */
export async function startEventBridgeServer(): Promise<EventBridgeServerHandle> {
  const entries: RecordedEntry[] = [];
  const calls: RecordedCall[] = [];
  let entryRules: EntryRule[] = [];
  let callRules: CallRule[] = [];
  let callsToStall = 0;

  const answer = (response: http.ServerResponse, status: number, body: unknown, errorType?: string): void => {
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': randomUUID(),
    };
    if (errorType) headers['x-amzn-errortype'] = errorType;
    response.writeHead(status, headers);
    response.end(JSON.stringify(body));
  };

  const fail = (response: http.ServerResponse, status: number, errorType: string, message: string): void => {
    answer(response, status, { __type: errorType, message }, errorType);
  };

  const putEvents = (response: http.ServerResponse, wireEntries: WireEntry[]): void => {
    const call: RecordedCall = { entries: wireEntries, status: 200, failedEntryCount: 0 };
    calls.push(call);
    if (callsToStall > 0) {
      callsToStall -= 1;
      call.status = 0;
      return;
    }
    const callRule = callRules.find((rule) => rule.remaining > 0);
    if (callRule) {
      callRule.remaining -= 1;
      call.status = callRule.status;
      fail(response, callRule.status, callRule.errorType, callRule.message);
      return;
    }
    if (wireEntries.length === 0 || wireEntries.length > MAX_ENTRIES_PER_CALL) {
      call.status = 400;
      fail(response, 400, 'ValidationException', `Entries must hold 1 to ${MAX_ENTRIES_PER_CALL} entries`);
      return;
    }
    const callBytes = wireEntries.reduce((sum, entry) => sum + wireEntrySize(entry), 0);
    if (callBytes > MAX_CALL_BYTES) {
      call.status = 400;
      fail(
        response,
        400,
        'ValidationException',
        'Total size of the entries in the request is over the limit.',
      );
      return;
    }
    const results = wireEntries.map((entry) => {
      const rule = entryRules.find((candidate) => candidate.remaining > 0 && candidate.predicate(entry));
      if (rule) {
        rule.remaining -= 1;
        call.failedEntryCount += 1;
        return { ErrorCode: rule.errorCode, ErrorMessage: rule.message };
      }
      const eventId = randomUUID();
      entries.push({ ...entry, eventId, call: calls.length });
      return { EventId: eventId };
    });
    answer(response, 200, { FailedEntryCount: call.failedEntryCount, Entries: results });
  };

  const server = http.createServer((request, response) => {
    readBody(request)
      .then((body) => {
        const target = request.headers['x-amz-target'];
        if (request.method !== 'POST' || target !== 'AWSEvents.PutEvents') {
          fail(response, 400, 'UnknownOperationException', `unsupported operation ${String(target)}`);
          return;
        }
        let parsed: { Entries?: WireEntry[] };
        try {
          parsed = JSON.parse(body) as { Entries?: WireEntry[] };
        } catch {
          fail(response, 400, 'SerializationException', 'request body is not JSON');
          return;
        }
        putEvents(response, parsed.Entries ?? []);
      })
      .catch((error: unknown) => fail(response, 500, 'InternalException', String(error)));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    entries,
    calls,
    failEntries(predicate, errorCode, options = {}) {
      entryRules.push({
        predicate,
        errorCode,
        message: options.message ?? `${errorCode} injected by the test`,
        remaining: options.times ?? Number.POSITIVE_INFINITY,
      });
    },
    failNext(count, errorCode = 'ThrottlingException') {
      const firstCall = calls.length + 1;
      // Every entry of the next `count` calls fails, however many entries those calls carry.
      entryRules.push({
        predicate: () => {
          const current = calls.length;
          return current >= firstCall && current < firstCall + count;
        },
        errorCode,
        message: `${errorCode} injected by the test`,
        remaining: Number.POSITIVE_INFINITY,
      });
    },
    failWholeCall(status, options = {}) {
      callRules.push({
        status,
        errorType: options.errorType ?? (status >= 500 ? 'InternalException' : 'ValidationException'),
        message: options.message ?? `HTTP ${status} injected by the test`,
        remaining: options.times ?? 1,
      });
    },
    stallNext(count = 1) {
      callsToStall += count;
    },
    reset() {
      entries.length = 0;
      calls.length = 0;
      entryRules = [];
      callRules = [];
      callsToStall = 0;
    },
    stop() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

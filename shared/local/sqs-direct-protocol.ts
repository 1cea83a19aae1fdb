/**
 * What the local runtime and its embedded SQS server say to each other over the child's IPC channel
 * (embedded-sqs.ts, embedded-sqs-server.ts). Besides starting and stopping, it carries the SQS calls
 * every event makes — send, receive, delete — straight to the server's own action functions, with
 * the same inputs and outputs as the SQS JSON protocol, but without an HTTP request and an AWS SDK
 * round trip per call of ten messages (see sqs-direct-client.ts for why).
 */

/** The actions that take the direct path; every other SQS call goes over HTTP as before. */
export const DIRECT_ACTIONS = ['SendMessageBatch', 'ReceiveMessage', 'DeleteMessageBatch'] as const;
export type DirectAction = (typeof DIRECT_ACTIONS)[number];

export interface DirectCall {
  id: number;
  action: DirectAction;
  /**
   * The request body the SQS JSON protocol would carry: the SDK command's input, members by name.
   * A SendMessageBatch may carry its entries as one JSON array text instead (`EntriesJson`), as the
   * queue publisher already wrote them: the server parses them, which spares the runtime's own
   * process, the busier one, parsing them back into objects only to have them copied across.
   */
  input: object;
}

/** The input member that holds a SendMessageBatch's entries as JSON text. */
export const ENTRIES_JSON = 'EntriesJson';

/** An SQS error as the server raised it: the JSON protocol's error code and message. */
export interface DirectError {
  code: string;
  message: string;
  /** True for the caller's mistakes (SQS's Sender fault), false for the server's own failures. */
  senderFault: boolean;
}

export type DirectResult =
  { id: number; output: Record<string, unknown> } | { id: number; error: DirectError };

export interface EmbeddedSqsSettings {
  port: number;
  dataDir?: string;
  releaseInFlight: boolean;
  synchronous: 'FULL' | 'NORMAL';
}

/** Parent → server. */
export type ToSqsServer = { type: 'calls'; calls: DirectCall[] } | { type: 'stop' };

/** Server → parent. */
export type FromSqsServer =
  | { type: 'ready'; address: string }
  | { type: 'failed'; message: string }
  | { type: 'results'; results: DirectResult[] };

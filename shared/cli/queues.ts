import { existsSync, readFileSync } from 'node:fs';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SQSClient,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';
import { resolveStateDir, runtimeInfoFile } from '../local/state-folder';
import { UsageError, type CommandIo } from './args';
import { SINK_NAMES, isSinkName } from '../sinks/catalog';
import type { SinkName } from '../sinks/types';
import { SERVICE_NAME, dlqName, queueName } from '../queue/topology';
import { describeError } from '../errors/describe';

/** Where to find the sink queues: a deployed stage in AWS, or the local runtime on this machine. */
export interface LocateOptions {
  local?: boolean;
  /** The local runtime's state folder (`--state-dir`); else the shared rule's (state-folder.ts). */
  stateDir?: string;
  stage?: string;
  region?: string;
  service?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Extra SQS client settings for the AWS case, e.g. an explicit endpoint and credentials in tests. */
  clientConfig?: SQSClientConfig;
  /** Called with the client before first use, e.g. to add SDK middleware. */
  customizeClient?: (client: SQSClient) => void;
}

export interface SinkQueues {
  sink: SinkName;
  queueUrl: string;
  /** Missing when the sink has a queue but its DLQ is gone. */
  dlqUrl?: string;
}

export interface QueueLocation {
  mode: 'aws' | 'local';
  client: SQSClient;
  region: string;
  /** Human wording of where the queues are, for headers and error messages. */
  where: string;
  stage?: string;
  /** Sinks whose queues exist, in the usual sink order. */
  sinks: SinkQueues[];
  /** Sinks asked for whose queue does not exist. */
  missing: SinkName[];
}

/** The queues could not be found or reached; the message is meant for the operator as it is. */
export class QueueLookupError extends Error {
  override readonly name = 'QueueLookupError';
}

export const LOCAL_RUNTIME_NOT_RUNNING = 'the local runtime is not running (start it with npm start)';

/** What the local runtime writes to `<stateDir>/runtime.json` while it runs. */
export interface LocalRuntimeState {
  url: string;
  region: string;
  sqsEndpoint: string;
  queues: Partial<Record<SinkName, { queueUrl: string; dlqUrl: string }>>;
}

export function readLocalRuntimeState(stateDir: string): LocalRuntimeState {
  const file = runtimeInfoFile(stateDir);
  if (!existsSync(file)) throw new QueueLookupError(LOCAL_RUNTIME_NOT_RUNNING);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new QueueLookupError(`${file} is not valid JSON: ${describeError(error)}`);
  }
  const state = value as Partial<LocalRuntimeState> | null;
  if (
    typeof state !== 'object' ||
    state === null ||
    typeof state.sqsEndpoint !== 'string' ||
    typeof state.region !== 'string' ||
    typeof state.queues !== 'object' ||
    state.queues === null
  ) {
    throw new QueueLookupError(
      `${file} does not describe a running local runtime (no sqsEndpoint, region or queues)`,
    );
  }
  return state as LocalRuntimeState;
}

/** Finds each asked-for sink's queue and DLQ URL, and a client that reaches them. */
export async function locateQueues(
  options: LocateOptions = {},
  sinks: readonly SinkName[] = SINK_NAMES,
): Promise<QueueLocation> {
  return options.local ? locateLocal(options, sinks) : locateInAws(options, sinks);
}

function locateLocal(options: LocateOptions, sinks: readonly SinkName[]): QueueLocation {
  const stateDir = resolveStateDir({ explicit: options.stateDir, env: options.env, cwd: options.cwd });
  const state = readLocalRuntimeState(stateDir);
  const client = new SQSClient({
    endpoint: state.sqsEndpoint,
    region: state.region,
    // The embedded SQS server accepts any signature; fixed keys keep a machine without an AWS
    // profile working.
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  options.customizeClient?.(client);
  const found: SinkQueues[] = [];
  const missing: SinkName[] = [];
  for (const sink of sinks) {
    const entry = state.queues[sink];
    if (entry && typeof entry.queueUrl === 'string') {
      found.push({
        sink,
        queueUrl: entry.queueUrl,
        ...(typeof entry.dlqUrl === 'string' ? { dlqUrl: entry.dlqUrl } : {}),
      });
    } else {
      missing.push(sink);
    }
  }
  const where = `the local runtime${state.url ? ` at ${state.url}` : ''}`;
  return { mode: 'local', client, region: state.region, where, sinks: found, missing };
}

async function locateInAws(options: LocateOptions, sinks: readonly SinkName[]): Promise<QueueLocation> {
  const env = options.env ?? process.env;
  const stage = options.stage ?? 'dev';
  const service = options.service ?? SERVICE_NAME;
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const client = new SQSClient({ ...options.clientConfig, ...(region ? { region } : {}) });
  options.customizeClient?.(client);
  let resolvedRegion: string;
  try {
    resolvedRegion = await client.config.region();
  } catch {
    throw new QueueLookupError('no AWS region: pass --region or set AWS_REGION');
  }
  const where = `stage ${stage} in ${resolvedRegion}`;
  const lookups = await Promise.all(
    sinks.map(async (sink) => {
      const [queueUrl, dlqUrl] = await Promise.all([
        queueUrlByName(client, queueName(sink, stage, service)),
        queueUrlByName(client, dlqName(sink, stage, service)),
      ]);
      return { sink, queueUrl, dlqUrl };
    }),
  );
  const found: SinkQueues[] = [];
  const missing: SinkName[] = [];
  for (const { sink, queueUrl, dlqUrl } of lookups) {
    if (queueUrl === undefined) missing.push(sink);
    else found.push({ sink, queueUrl, ...(dlqUrl !== undefined ? { dlqUrl } : {}) });
  }
  return { mode: 'aws', client, region: resolvedRegion, where, stage, sinks: found, missing };
}

function isMissingQueueError(error: unknown): boolean {
  const name = (error as { name?: unknown; Code?: unknown }).name;
  return name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue';
}

async function queueUrlByName(client: SQSClient, name: string): Promise<string | undefined> {
  try {
    return (await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (error) {
    if (isMissingQueueError(error)) return undefined;
    throw error;
  }
}

export interface QueueCounts {
  visible: number;
  inFlight: number;
  delayed: number;
}

export async function queueCounts(client: SQSClient, queueUrl: string): Promise<QueueCounts> {
  const response = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  const attributes = response.Attributes ?? {};
  const count = (value: string | undefined): number => (value === undefined ? 0 : Number(value) || 0);
  return {
    visible: count(attributes.ApproximateNumberOfMessages),
    inFlight: count(attributes.ApproximateNumberOfMessagesNotVisible),
    delayed: count(attributes.ApproximateNumberOfMessagesDelayed),
  };
}

/** The queue name is the last path segment of its URL (what CloudWatch's QueueName dimension wants). */
export function queueNameFromUrl(queueUrl: string): string {
  const path = new URL(queueUrl).pathname.split('/').filter(Boolean);
  return path[path.length - 1] ?? queueUrl;
}

export function parseSinkName(value: string | undefined): SinkName | undefined {
  return value !== undefined && isSinkName(value) ? value : undefined;
}

/** The sink a command line names as its argument; a missing or unknown one is a UsageError. */
export function sinkArgument(value: string | undefined): SinkName {
  if (value === undefined) throw new UsageError(`which sink? one of ${SINK_NAMES.join(', ')}`);
  const sink = parseSinkName(value);
  if (!sink) throw new UsageError(`unknown sink "${value}"; one of ${SINK_NAMES.join(', ')}`);
  return sink;
}

/**
 * Turns "cannot connect" into what the operator needs to hear: for the local runtime, that it is
 * not running (its state file outlived it); otherwise the SDK's own message.
 */
export function describeLookupFailure(error: unknown, local: boolean): string {
  if (error instanceof QueueLookupError) return error.message;
  const code = (error as { code?: unknown }).code;
  const message = describeError(error);
  if (local && (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message))) return LOCAL_RUNTIME_NOT_RUNNING;
  return message;
}

/** The flags every queue command shares: where the queues are. */
export interface LocationFlags {
  local?: boolean;
  'state-dir'?: string;
  stage?: string;
  region?: string;
  service?: string;
}

/** What a command's caller (tests, embedding code) may supply instead of the process's own. */
export type LocationDeps = Pick<LocateOptions, 'env' | 'cwd' | 'clientConfig' | 'customizeClient'>;

/** What a queue command's caller may swap: where its output goes and how it reaches the queues. */
export interface QueueCommandDeps extends LocationDeps {
  io?: CommandIo;
}

/** The location the command-line flags name. */
export function locateOptionsFrom(flags: LocationFlags): LocateOptions {
  const options: LocateOptions = { local: flags.local === true };
  for (const key of ['stage', 'region', 'service'] as const) {
    if (flags[key] !== undefined) options[key] = flags[key];
  }
  if (flags['state-dir'] !== undefined) {
    // Without --local the queues are in AWS, where a state folder means nothing.
    if (!options.local) throw new UsageError('--state-dir goes with --local');
    options.stateDir = flags['state-dir'];
  }
  return options;
}

/** `locate` with what the command's caller supplied in place of the process's own. */
export function withLocationDeps(locate: LocateOptions, deps: LocationDeps = {}): LocateOptions {
  const options: LocateOptions = { ...locate };
  for (const key of ['env', 'cwd', 'clientConfig', 'customizeClient'] as const) {
    if (deps[key] !== undefined) (options as Record<string, unknown>)[key] = deps[key];
  }
  return options;
}

import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Command } from './main';
import {
  LOCATION_OPTIONS,
  UsageError,
  formatHelp,
  parseOrAnswer,
  formatTable,
  parseCommandArgs,
  positiveInteger,
  positiveNumber,
  processIo,
  abortOnInterrupt,
  type CommandIo,
} from './args';
import { Progress } from './progress';
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
import { SINK_NAMES } from '../sinks/catalog';
import type { SinkName } from '../sinks/types';
import { systemClock } from '../clock';
import { redrive, type RedriveOptions, type RedriveResult } from '../queue/redrive/move-loop';
import {
  nativeRedriveStatus,
  startNativeRedrive,
  type NativeMoveStatus,
} from '../queue/redrive/native-move-task';

const OPTIONS = {
  topic: {
    type: 'string',
    multiple: true,
    valueName: 'topic',
    description: 'move only messages of this topic',
  },
  'event-id': {
    type: 'string',
    multiple: true,
    valueName: 'id',
    description: 'move only the event with this id',
  },
  'dry-run': { type: 'boolean', description: 'list what would move, move nothing' },
  max: { type: 'string', valueName: 'n', description: 'move at most n messages' },
  rate: { type: 'string', valueName: 'n', description: 'send at most n messages per second' },
  native: {
    type: 'boolean',
    description: 'let SQS move everything itself (StartMessageMoveTask); AWS only, no filters or --max',
  },
  ...LOCATION_OPTIONS,
} as const;

const USAGE = 'eventgate replay <sink> [options]';
const SUMMARY = `Moves messages from a sink's DLQ back to its queue (sinks: ${SINK_NAMES.join(', ')}).`;
const NOTES = [
  'Each batch is sent to the queue first and deleted from the DLQ only once the send succeeded, so an',
  'interrupted replay can duplicate a message (absorbed downstream by its event id) but never lose one.',
  'Messages that do not match the filters stay in the DLQ. A dry run still receives the messages it',
  'lists, which raises their receive count. Exit code: 0 when everything asked for moved, 1 when',
  'anything failed, 2 for a bad command line.',
];

/** Everything a test or another caller may swap: where output goes, how clients are built, when to stop. */
export interface ReplayDeps extends QueueCommandDeps {
  /** Stops the run after the batch in flight; without one, Ctrl-C does that. */
  signal?: AbortSignal;
  /** Low-level redrive settings (long-poll wait, visibility timeout). */
  redrive?: Pick<RedriveOptions, 'waitTimeSeconds' | 'visibilityTimeoutSeconds'>;
  /** Seconds between status checks of a native move task. */
  nativePollSeconds?: number;
}

interface ReplayRequest {
  sink: SinkName;
  topics: string[];
  eventIds: string[];
  dryRun: boolean;
  max?: number;
  rate?: number;
  native: boolean;
  json: boolean;
  locate: LocateOptions;
}

export function parseReplayArgs(args: readonly string[]): ReplayRequest | 'help' {
  const { values, positionals } = parseCommandArgs(args, OPTIONS, { positionals: 1 });
  if (values.help) return 'help';
  const request: ReplayRequest = {
    sink: sinkArgument(positionals[0]),
    topics: values.topic ?? [],
    eventIds: values['event-id'] ?? [],
    dryRun: values['dry-run'] === true,
    native: values.native === true,
    json: values.json === true,
    locate: locateOptionsFrom(values),
  };
  if (values.max !== undefined) request.max = positiveInteger(values.max, '--max');
  if (values.rate !== undefined) request.rate = positiveNumber(values.rate, '--rate');
  if (request.native) {
    if (request.topics.length > 0 || request.eventIds.length > 0) {
      throw new UsageError(
        '--topic and --event-id cannot be combined with --native: an SQS move task moves every message',
      );
    }
    if (request.dryRun) throw new UsageError('--dry-run cannot be combined with --native');
    if (request.max !== undefined) throw new UsageError('--max cannot be combined with --native');
    if (request.locate.local) {
      throw new UsageError(
        '--native is not supported by the local SQS server; run the replay without --native',
      );
    }
  }
  return request;
}

export async function runReplay(args: readonly string[], deps: ReplayDeps = {}): Promise<number> {
  const io = deps.io ?? processIo();
  const parsed = parseOrAnswer(
    'replay',
    () => parseReplayArgs(args),
    () => formatHelp(USAGE, SUMMARY, OPTIONS, NOTES),
    io,
  );
  if ('exitCode' in parsed) return parsed.exitCode;
  const { request } = parsed;

  const locate = withLocationDeps(request.locate, deps);

  const interrupt = deps.signal
    ? undefined
    : abortOnInterrupt(() => io.err('\nstopping after the batch in flight (Ctrl-C again to quit now)'));
  const signal = deps.signal ?? interrupt?.signal;
  let client: SQSClient | undefined;
  try {
    const location = await locateQueues(locate, [request.sink]);
    client = location.client;
    const queues = location.sinks[0];
    if (!queues) {
      io.err(`eventgate replay: no ${request.sink} queue in ${location.where}`);
      return 1;
    }
    if (!queues.dlqUrl) {
      io.err(`eventgate replay: the ${request.sink} queue in ${location.where} has no DLQ`);
      return 1;
    }
    const target = { sourceQueueUrl: queues.dlqUrl, targetQueueUrl: queues.queueUrl };
    if (request.native)
      return await runNative(client, target, request, io, signal, deps.nativePollSeconds ?? 5);
    return await runClientSide(client, target, request, io, signal, deps);
  } catch (error) {
    io.err(`eventgate replay: ${describeLookupFailure(error, request.locate.local === true)}`);
    return 1;
  } finally {
    interrupt?.dispose();
    client?.destroy();
  }
}

interface Route {
  sourceQueueUrl: string;
  targetQueueUrl: string;
}

async function runClientSide(
  client: SQSClient,
  route: Route,
  request: ReplayRequest,
  io: CommandIo,
  signal: AbortSignal | undefined,
  deps: ReplayDeps,
): Promise<number> {
  const depth = await queueCounts(client, route.sourceQueueUrl);
  const progress = new Progress({
    label: 'examined',
    total: depth.visible,
    stream: io.errStream,
  });
  const options: RedriveOptions = {
    ...deps.redrive,
    ...route,
    filter: { topics: request.topics, eventIds: request.eventIds },
    dryRun: request.dryRun,
    onProgress: (state) =>
      progress.update(
        state.examined,
        request.dryRun
          ? `would move ${state.listed}, skipped ${state.skipped}`
          : `moved ${state.moved}, skipped ${state.skipped}, failed ${state.failed}`,
      ),
  };
  if (signal) options.signal = signal;
  if (request.max !== undefined) options.max = request.max;
  if (request.rate !== undefined) options.ratePerSecond = request.rate;
  const result = await redrive(client, options);
  progress.finish();

  if (request.json) {
    io.out(JSON.stringify(replaySummary(request.sink, route, result), null, 2));
  } else {
    printHuman(result, io);
  }
  return result.failed > 0 || result.stoppedBy === 'error' ? 1 : 0;
}

function replaySummary(sink: SinkName, route: Route, result: RedriveResult): Record<string, unknown> {
  return {
    sink,
    from: route.sourceQueueUrl,
    to: route.targetQueueUrl,
    dryRun: result.dryRun,
    moved: result.moved,
    skipped: result.skipped,
    failed: result.failed,
    stoppedBy: result.stoppedBy,
    ...(result.error !== undefined ? { error: result.error } : {}),
    failures: result.failures,
    ...(result.dryRun ? { messages: result.planned } : {}),
  };
}

function printHuman(result: RedriveResult, io: CommandIo): void {
  if (result.dryRun && result.planned.length > 0) {
    io.out(
      formatTable(
        ['MESSAGE ID', 'EVENT ID', 'TOPIC', 'RECEIVED AT', 'RECEIVES'],
        result.planned.map((message) => [
          message.messageId,
          message.eventId ?? '-',
          message.topic ?? '-',
          message.receivedAt ?? '-',
          message.receiveCount ?? '-',
        ]),
      ),
    );
  }
  for (const failure of result.failures) {
    const event = failure.eventId ? ` (event ${failure.eventId})` : '';
    io.err(`failed ${failure.messageId}${event}: ${failure.stage}: ${failure.code}: ${failure.message}`);
  }
  if (result.error) io.err(`stopped: ${result.error}`);
  if (result.stoppedBy === 'aborted') io.err('interrupted: stopped after the batch in flight');
  const counts = result.dryRun
    ? `dry run: would move ${result.listed}, skipped ${result.skipped}, nothing moved`
    : `moved ${result.moved}, skipped ${result.skipped}, failed ${result.failed}`;
  io.out(counts);
}

const FINISHED_TASK_STATES = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

async function runNative(
  client: SQSClient,
  route: Route,
  request: ReplayRequest,
  io: CommandIo,
  signal: AbortSignal | undefined,
  pollSeconds: number,
): Promise<number> {
  const task = await startNativeRedrive(client, {
    ...route,
    ...(request.rate !== undefined ? { ratePerSecond: request.rate } : {}),
  });
  if (!request.json) io.err(`started SQS move task ${task.taskHandle}`);
  const progress = new Progress({ label: 'moved', stream: io.errStream });
  let status: NativeMoveStatus | undefined;
  let unlisted = 0;
  for (;;) {
    status = await nativeRedriveStatus(client, task.sourceArn);
    if (status) {
      if (FINISHED_TASK_STATES.has(status.status)) break;
      progress.update(status.moved, status.status, status.toMove);
    } else if (++unlisted >= 3) {
      break;
    }
    if (signal?.aborted) break;
    await systemClock.sleep(pollSeconds * 1000, signal);
  }
  progress.finish();
  const state = status?.status ?? 'UNKNOWN';
  const watching = !status || !FINISHED_TASK_STATES.has(state);
  if (request.json) {
    io.out(
      JSON.stringify(
        {
          sink: request.sink,
          native: true,
          from: route.sourceQueueUrl,
          to: route.targetQueueUrl,
          taskHandle: task.taskHandle,
          status: state,
          moved: status?.moved ?? 0,
          ...(status?.failureReason !== undefined ? { failureReason: status.failureReason } : {}),
        },
        null,
        2,
      ),
    );
  } else {
    if (watching)
      io.err(`stopped watching; the move task keeps running in SQS (task handle ${task.taskHandle})`);
    if (status?.failureReason) io.err(`move task failed: ${status.failureReason}`);
    io.out(`move task ${state.toLowerCase()}: moved ${status?.moved ?? 0}`);
  }
  return state === 'FAILED' || state === 'CANCELLED' ? 1 : 0;
}

export const command: Command = {
  summary: 'move messages from a sink DLQ back to its queue',
  run: (args) => runReplay(args),
};

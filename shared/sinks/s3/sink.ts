import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { HeadBucketCommand, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { Envelope } from '../../envelope';
import type { S3ArchiveConfigKeys } from './settings';
import { SinkError, failAll, type DeliveryOutcome, type Sink, type SinkHealth } from '../types';
import { sdkRequestTimeouts } from '../../timeout';
import { probeHealth } from '../health';
import { describeError } from '../../errors/describe';

const gzipAsync = promisify(gzip);

export interface S3ArchiveSinkOptions {
  bucket: string;
  /** Key prefix, without trailing slash. Default `events`. */
  prefix?: string;
  /** Passed to the SDK client (region, endpoint, credentials, forcePathStyle, …). */
  clientConfig?: S3ClientConfig;
  /** Budget for one S3 HTTP request. Default 10 000. */
  timeoutMs?: number;
  /** Budget for the health check. Default 3 000. */
  healthTimeoutMs?: number;
}

const DEFAULT_PREFIX = 'events';
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_HEALTH_TIMEOUT_MS = 3_000;

/**
 * Where a topic's share of a batch goes: Hive-style partitions (topic, day, hour of the first
 * event's arrival, UTC) that Athena can prune, and a name made of the first event id and the count
 * so that a retried batch overwrites its own object instead of adding a copy.
 */
export function archiveKey(prefix: string, events: readonly Envelope[]): string {
  const first = events[0];
  if (!first) throw new Error('archiveKey needs at least one event');
  const receivedAt = new Date(first.receivedAt);
  const day = receivedAt.toISOString().slice(0, 10);
  const hour = receivedAt.toISOString().slice(11, 13);
  const topic = encodeURIComponent(first.topic);
  const folder = prefix === '' ? '' : `${prefix.replace(/\/+$/, '')}/`;
  return `${folder}topic=${topic}/dt=${day}/hour=${hour}/${first.id}-${events.length}.ndjson.gz`;
}

/** gzip-compressed NDJSON: one full envelope per line. */
export async function archiveBody(events: readonly Envelope[]): Promise<Buffer> {
  const lines = events.map((event) => `${JSON.stringify(event)}\n`).join('');
  return gzipAsync(Buffer.from(lines, 'utf8'));
}

/**
 * Archives events to S3 for Athena: one gzip NDJSON object per topic and batch. Objects hold the
 * whole envelope, so readers deduplicate on `id` (a batch that is retried after a partial failure
 * holds different events and therefore lands under a different key).
 */
export class S3ArchiveSink implements Sink {
  readonly name = 's3' as const;
  private client: S3Client | undefined;
  private readonly prefix: string;

  constructor(private readonly options: S3ArchiveSinkOptions) {
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
  }

  async write(events: readonly Envelope[]): Promise<DeliveryOutcome[]> {
    if (events.length === 0) return [];
    if (!this.options.bucket)
      return failAll(events, new SinkError('s3', 'S3 archive is not configured (no bucket)'));

    const byTopic = new Map<string, { index: number; event: Envelope }[]>();
    events.forEach((event, index) => {
      const group = byTopic.get(event.topic) ?? [];
      group.push({ index, event });
      byTopic.set(event.topic, group);
    });

    const outcomes: DeliveryOutcome[] = [];
    await Promise.all(
      [...byTopic.values()].map(async (group) => {
        const topicEvents = group.map(({ event }) => event);
        const error = await this.putObject(topicEvents);
        for (const { index, event } of group) {
          outcomes[index] = error ? { id: event.id, ok: false, error } : { id: event.id, ok: true };
        }
      }),
    );
    return outcomes;
  }

  async health(): Promise<SinkHealth> {
    if (!this.options.bucket) return { status: 'not configured' };
    return probeHealth(
      () => this.s3().send(new HeadBucketCommand({ Bucket: this.options.bucket })),
      this.options.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS,
      `HeadBucket ${this.options.bucket}`,
    );
  }

  async close(): Promise<void> {
    this.client?.destroy();
    this.client = undefined;
  }

  private async putObject(events: readonly Envelope[]): Promise<SinkError | undefined> {
    const key = archiveKey(this.prefix, events);
    try {
      await this.s3().send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: await archiveBody(events),
          ContentType: 'application/gzip',
        }),
      );
      return undefined;
    } catch (error) {
      return new SinkError(
        's3',
        `S3 PutObject s3://${this.options.bucket}/${key} failed: ${describeError(error, { withName: true })}`,
        true,
        {
          cause: error,
        },
      );
    }
  }

  private s3(): S3Client {
    if (!this.client) {
      const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      this.client = new S3Client({
        requestHandler: sdkRequestTimeouts(timeoutMs),
        ...this.options.clientConfig,
      });
    }
    return this.client;
  }
}

/**
 * The S3 archive sink's options from config.json, or undefined when no bucket is set. Path-style
 * addressing follows `AWS_S3_FORCE_PATH_STYLE`, as the config reader does.
 */
export function s3ArchiveSinkOptionsFromConfig(
  config: S3ArchiveConfigKeys,
  env: NodeJS.ProcessEnv = process.env,
): S3ArchiveSinkOptions | undefined {
  const settings = config.s3_archive;
  const bucket = settings?.bucket?.trim();
  if (!settings || !bucket) return undefined;
  const options: S3ArchiveSinkOptions = { bucket };
  if (settings.prefix !== undefined) options.prefix = settings.prefix;
  const clientConfig: S3ClientConfig = {};
  if (settings.region) clientConfig.region = settings.region;
  if (env.AWS_S3_FORCE_PATH_STYLE === 'true') clientConfig.forcePathStyle = true;
  if (Object.keys(clientConfig).length > 0) options.clientConfig = clientConfig;
  return options;
}

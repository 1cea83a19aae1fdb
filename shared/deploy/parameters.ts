import { isSinkName, SINK_NAMES, type SinkName } from '../sinks/types';
import { SERVICE_NAME } from '../queue/topology';

/**
 * Everything a deployment can be tuned with. Each field comes from a `--param="name=value"` of the
 * same name (see `params:` in serverless.yml for the defaults); `stage` and `region` come from
 * `--stage`/`--region`.
 */
export interface DeployParameters {
  service: string;
  stage: string;
  /** Sinks to deploy, in the canonical order; a sink left out gets no queue, worker, alarm or grant. */
  sinks: SinkName[];
  /**
   * Sinks the ingest function writes to itself for sync topics. Empty by default: topics are async
   * and the workers deliver, and the ingest bundle carries no Kafka or Postgres client.
   */
  syncSinks: SinkName[];
  logRetentionDays: number;
  logLevel: string;
  /** X-Ray active tracing on every function. */
  tracing: boolean;
  memorySize: number;
  ingestTimeoutSeconds: number;
  apiThrottleBurst: number;
  apiThrottleRate: number;
  /** SNS topic told when an alarm fires or clears; without one the alarms only show in the console. */
  alarmTopicArn?: string;
  oldestMessageAgeAlarmSeconds: number;
  /** Quarantined events in five minutes that raise the quarantine alarm. */
  quarantineAlarmThreshold: number;
  /** Bucket holding access map, schemas or keys referenced as `s3://` in config.json. */
  configBucket?: string;
  configPrefix: string;
  /** Bus name or ARN for the eventbridge sink; the account's default bus when unset. */
  eventBus: string;
  kafkaBrokers?: string;
  /** MSK cluster ARN, when the kafka worker authenticates with IAM. */
  mskClusterArn?: string;
  postgresSecretName?: string;
  postgresSecretRegion?: string;
  /** Customer-managed KMS key that encrypts the Postgres secret, if not the AWS-managed one. */
  postgresSecretKmsKeyArn?: string;
  /** Existing bucket for the s3 archive sink; the stack creates one when unset. */
  archiveBucket?: string;
  archivePrefix: string;
}

export class DeployParameterError extends Error {
  override readonly name = 'DeployParameterError';
}

/** Raw `--param` values as Serverless resolves them; numbers and booleans may arrive as strings. */
export type RawParameters = Record<string, string | number | boolean | null | undefined>;

function text(raw: RawParameters, name: string): string | undefined {
  const value = raw[name];
  if (value === undefined || value === null) return undefined;
  const trimmed = String(value).trim();
  return trimmed === '' ? undefined : trimmed;
}

function integer(raw: RawParameters, name: string, fallback: number, min: number, max: number): number {
  const value = text(raw, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new DeployParameterError(
      `param "${name}" must be an integer from ${min} to ${max}, got "${value}"`,
    );
  }
  return parsed;
}

function flag(raw: RawParameters, name: string): boolean {
  const value = text(raw, name)?.toLowerCase();
  if (value === undefined || value === 'false' || value === '0' || value === 'no') return false;
  if (value === 'true' || value === '1' || value === 'yes') return true;
  throw new DeployParameterError(`param "${name}" must be true or false, got "${value}"`);
}

function arn(raw: RawParameters, name: string, service: string): string | undefined {
  const value = text(raw, name);
  if (value !== undefined && !value.startsWith(`arn:aws`)) {
    throw new DeployParameterError(`param "${name}" must be an ${service} ARN, got "${value}"`);
  }
  return value;
}

/** `"postgres, s3"` → `['postgres', 's3']`, in the canonical sink order, duplicates dropped. */
export function parseSinkList(value: string | undefined): SinkName[] {
  const requested = (value ?? SINK_NAMES.join(','))
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  const unknown = requested.filter((name) => !isSinkName(name));
  if (unknown.length > 0) {
    throw new DeployParameterError(
      `param "sinks" names unknown sinks: ${unknown.join(', ')} (known: ${SINK_NAMES.join(', ')})`,
    );
  }
  if (requested.length === 0) throw new DeployParameterError('param "sinks" must name at least one sink');
  return SINK_NAMES.filter((sink) => requested.includes(sink));
}

function parseSyncSinks(value: string | undefined, enabled: SinkName[]): SinkName[] {
  if (value === undefined || value.toLowerCase() === 'none') return [];
  const sinks = parseSinkList(value);
  for (const sink of sinks) {
    if (!enabled.includes(sink))
      throw new DeployParameterError(`param "syncSinks": ${sink} is not in "sinks"`);
  }
  return sinks;
}

/** Lambda's accepted log retention values; CloudFormation rejects any other. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

const MSK_CLUSTER_ARN = /^arn:aws[\w-]*:kafka:[\w-]+:\d{12}:cluster\/[^/]+\/[^/]+$/;

export function parseDeployParameters(raw: RawParameters, stage: string): DeployParameters {
  if (!/^[a-zA-Z0-9-]+$/.test(stage)) {
    throw new DeployParameterError(`stage must be letters, digits and dashes, got "${stage}"`);
  }
  const logRetentionDays = integer(raw, 'logRetentionDays', 30, 1, 3653);
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays)) {
    throw new DeployParameterError(
      `param "logRetentionDays" must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${logRetentionDays}`,
    );
  }
  const mskClusterArn = arn(raw, 'mskClusterArn', 'MSK cluster');
  if (mskClusterArn !== undefined && !MSK_CLUSTER_ARN.test(mskClusterArn)) {
    throw new DeployParameterError(
      `param "mskClusterArn" must look like arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>`,
    );
  }
  const configBucket = text(raw, 'configBucket');
  const archiveBucket = text(raw, 'archiveBucket');
  for (const [name, bucket] of [
    ['configBucket', configBucket],
    ['archiveBucket', archiveBucket],
  ] as const) {
    if (bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new DeployParameterError(`param "${name}" must be a bucket name (not an ARN or s3:// URL)`);
    }
  }
  const sinks = parseSinkList(text(raw, 'sinks'));
  return {
    service: text(raw, 'service') ?? SERVICE_NAME,
    stage,
    sinks,
    syncSinks: parseSyncSinks(text(raw, 'syncSinks'), sinks),
    logRetentionDays,
    logLevel: (text(raw, 'logLevel') ?? 'INFO').toUpperCase(),
    tracing: flag(raw, 'tracing'),
    memorySize: integer(raw, 'memorySize', 512, 128, 10240),
    ingestTimeoutSeconds: integer(raw, 'ingestTimeoutSeconds', 29, 1, 29),
    apiThrottleBurst: integer(raw, 'apiThrottleBurst', 200, 1, 1_000_000),
    apiThrottleRate: integer(raw, 'apiThrottleRate', 100, 1, 1_000_000),
    alarmTopicArn: arn(raw, 'alarmTopicArn', 'SNS topic'),
    oldestMessageAgeAlarmSeconds: integer(raw, 'oldestMessageAgeAlarmSeconds', 300, 60, 1_209_600),
    quarantineAlarmThreshold: integer(raw, 'quarantineAlarmThreshold', 1, 1, 1_000_000),
    configBucket,
    configPrefix: normalizePrefix(text(raw, 'configPrefix')),
    eventBus: text(raw, 'eventBus') ?? 'default',
    kafkaBrokers: text(raw, 'kafkaBrokers'),
    mskClusterArn,
    postgresSecretName: text(raw, 'postgresSecretName'),
    postgresSecretRegion: text(raw, 'postgresSecretRegion'),
    postgresSecretKmsKeyArn: arn(raw, 'postgresSecretKmsKeyArn', 'KMS key'),
    archiveBucket,
    archivePrefix: normalizePrefix(text(raw, 'archivePrefix') ?? 'events/'),
  };
}

/** A key prefix without a leading slash; `''` means the whole bucket. */
function normalizePrefix(prefix: string | undefined): string {
  if (prefix === undefined) return '';
  const stripped = prefix.replace(/^\/+/, '');
  return stripped === '' || stripped.endsWith('/') ? stripped : `${stripped}/`;
}

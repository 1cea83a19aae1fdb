import { sinkCatalog, type SinkCatalog } from '../sinks/catalog';
import type { SinkName } from '../sinks/types';
import { SERVICE_NAME } from '../queue/topology';
import { DeployParameterError } from './errors';
import { arnOf, bucketName, normalizePrefix } from './parameter-rules';

export { DeployParameterError };

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
  /**
   * Subnets and security groups for the functions that must reach private endpoints (sinks whose
   * definition asks for VPC access, and the ingest function when it writes to one of them). Both or
   * neither.
   */
  vpc?: { subnetIds: string[]; securityGroupIds: string[] };
  /** Customer-managed KMS key for the queues, DLQs and the archive bucket; AWS-managed keys without. */
  kmsKeyArn?: string;
  /** Where the gateway's configuration comes from, overriding the packaged conf/config.json. */
  gatewayConfig: GatewayConfigParameters;
  /** Raise the in-flight alarm of a sink queue above this many messages being processed or backing off. */
  inFlightAlarmThreshold: number;
  /** Secrets (names or ARNs) the token endpoint reads: its clients and its signing key. */
  tokenIssuanceSecrets: string[];
  /** Each sink's own parameters (see `deploy.parameters` of its definition), checked by their rules. */
  sinkParameters: Readonly<Record<string, string | undefined>>;
}

/** Gateway settings a deployment sets through the ingest function's environment. */
export interface GatewayConfigParameters {
  /** `https://…` or `s3://…`: the signing keys (JWKS or the Python formats). */
  tokenPublicKeysUrl?: string;
  tokenIssuer?: string;
  tokenAudience?: string;
  /** `s3://…` (or a path inside the package): the access map. */
  accessConfig?: string;
  /** `s3://…` prefix (or a path inside the package): the topic schemas. */
  topicSchemas?: string;
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

/** `"postgres, s3"` → `['postgres', 's3']`, in the canonical sink order, duplicates dropped. */
export function parseSinkList(value: string, catalog: SinkCatalog = sinkCatalog): SinkName[] {
  const requested = value
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  const unknown = requested.filter((name) => !catalog.has(name));
  if (unknown.length > 0) {
    throw new DeployParameterError(
      `param "sinks" names unknown sinks: ${unknown.join(', ')} (known: ${catalog.names.join(', ')})`,
    );
  }
  if (requested.length === 0) throw new DeployParameterError('param "sinks" must name at least one sink');
  return catalog.inOrder(requested);
}

/**
 * The `syncSinks` parameter's sinks: none for `none` or no value, else the list as `sinks` reads it.
 * The deploy and the bundling (which leaves the other sinks' clients out of ingest) both read it here.
 */
export function syncSinkNames(value: string | undefined, catalog: SinkCatalog = sinkCatalog): SinkName[] {
  if (value === undefined || value.trim().toLowerCase() === 'none') return [];
  return parseSinkList(value, catalog);
}

function parseSyncSinks(value: string | undefined, enabled: SinkName[], catalog: SinkCatalog): SinkName[] {
  const sinks = syncSinkNames(value, catalog);
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

/** The parameters every deployment reads, whatever its sinks; each sink declares its own besides. */
export const COMMON_PARAMETER_NAMES = [
  'sinks',
  'syncSinks',
  'logRetentionDays',
  'logLevel',
  'tracing',
  'memorySize',
  'ingestTimeoutSeconds',
  'apiThrottleBurst',
  'apiThrottleRate',
  'alarmTopicArn',
  'oldestMessageAgeAlarmSeconds',
  'configBucket',
  'configPrefix',
  'vpcSubnetIds',
  'vpcSecurityGroupIds',
  'kmsKeyArn',
  'tokenPublicKeysUrl',
  'tokenIssuer',
  'tokenAudience',
  'accessConfig',
  'topicSchemas',
  'inFlightAlarmThreshold',
  'tokenIssuanceSecrets',
  'quarantineAlarmThreshold',
] as const;

/** Every `--param` a deployment reads: the common ones, then each sink's own. */
export function deployParameterNames(catalog: SinkCatalog = sinkCatalog): string[] {
  return [
    ...COMMON_PARAMETER_NAMES,
    ...catalog.definitions.flatMap((definition) => Object.keys(definition.deploy.parameters)),
  ];
}

/** Every sink's parameters through their rules, deployed or not, so a typo fails whatever the sinks. */
function parseSinkParameters(raw: RawParameters, catalog: SinkCatalog): Record<string, string | undefined> {
  const parsed: Record<string, string | undefined> = {};
  for (const definition of catalog.definitions) {
    for (const [name, rule] of Object.entries(definition.deploy.parameters)) {
      if (name in parsed || (COMMON_PARAMETER_NAMES as readonly string[]).includes(name)) {
        throw new DeployParameterError(`param "${name}" is declared twice (sink ${definition.name})`);
      }
      parsed[name] = rule(text(raw, name), name);
    }
  }
  return parsed;
}

/** `"a, b"` → `['a', 'b']`, each checked against `pattern`. */
function idList(raw: RawParameters, name: string, pattern: RegExp, shape: string): string[] | undefined {
  const value = text(raw, name);
  if (value === undefined) return undefined;
  const ids = value
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  const wrong = ids.filter((id) => !pattern.test(id));
  if (ids.length === 0 || wrong.length > 0) {
    throw new DeployParameterError(
      `param "${name}" must be a comma-separated list of ${shape}, got "${wrong.join(', ') || value}"`,
    );
  }
  return ids;
}

function parseVpc(raw: RawParameters): DeployParameters['vpc'] {
  const subnetIds = idList(raw, 'vpcSubnetIds', /^subnet-[0-9a-z]+$/, 'subnet ids (subnet-…)');
  const securityGroupIds = idList(raw, 'vpcSecurityGroupIds', /^sg-[0-9a-z]+$/, 'security group ids (sg-…)');
  if (subnetIds === undefined && securityGroupIds === undefined) return undefined;
  if (subnetIds === undefined || securityGroupIds === undefined) {
    throw new DeployParameterError(
      'params "vpcSubnetIds" and "vpcSecurityGroupIds" go together: set both or neither',
    );
  }
  return { subnetIds, securityGroupIds };
}

/** A location the gateway reads at run time: `https://`, `s3://`, or a path inside the package. */
function location(raw: RawParameters, name: string, schemes: readonly string[]): string | undefined {
  const value = text(raw, name);
  if (value === undefined) return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme !== undefined && !schemes.includes(scheme)) {
    throw new DeployParameterError(
      `param "${name}" must be ${schemes.map((known) => `${known}://…`).join(' or ')} or a path inside the package, got "${value}"`,
    );
  }
  return value;
}

function parseGatewayConfig(raw: RawParameters): GatewayConfigParameters {
  const parsed: GatewayConfigParameters = {
    tokenPublicKeysUrl: location(raw, 'tokenPublicKeysUrl', ['https', 's3']),
    tokenIssuer: text(raw, 'tokenIssuer'),
    tokenAudience: text(raw, 'tokenAudience'),
    accessConfig: location(raw, 'accessConfig', ['s3']),
    topicSchemas: location(raw, 'topicSchemas', ['s3']),
  };
  return Object.fromEntries(
    Object.entries(parsed).filter(([, value]) => value !== undefined),
  ) as GatewayConfigParameters;
}

export function parseDeployParameters(
  raw: RawParameters,
  stage: string,
  catalog: SinkCatalog = sinkCatalog,
): DeployParameters {
  if (!/^[a-zA-Z0-9-]+$/.test(stage)) {
    throw new DeployParameterError(`stage must be letters, digits and dashes, got "${stage}"`);
  }
  const logRetentionDays = integer(raw, 'logRetentionDays', 30, 1, 3653);
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays)) {
    throw new DeployParameterError(
      `param "logRetentionDays" must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${logRetentionDays}`,
    );
  }
  const sinkParameters = parseSinkParameters(raw, catalog);
  const configBucket = bucketName(text(raw, 'configBucket'), 'configBucket');
  const params: DeployParameters = {
    service: text(raw, 'service') ?? SERVICE_NAME,
    stage,
    sinks: [],
    syncSinks: [],
    logRetentionDays,
    logLevel: (text(raw, 'logLevel') ?? 'INFO').toUpperCase(),
    tracing: flag(raw, 'tracing'),
    memorySize: integer(raw, 'memorySize', 512, 128, 10240),
    ingestTimeoutSeconds: integer(raw, 'ingestTimeoutSeconds', 29, 1, 29),
    apiThrottleBurst: integer(raw, 'apiThrottleBurst', 200, 1, 1_000_000),
    apiThrottleRate: integer(raw, 'apiThrottleRate', 100, 1, 1_000_000),
    alarmTopicArn: arnOf('SNS topic')(text(raw, 'alarmTopicArn'), 'alarmTopicArn'),
    oldestMessageAgeAlarmSeconds: integer(raw, 'oldestMessageAgeAlarmSeconds', 300, 60, 1_209_600),
    quarantineAlarmThreshold: integer(raw, 'quarantineAlarmThreshold', 1, 1, 1_000_000),
    configBucket,
    configPrefix: normalizePrefix(text(raw, 'configPrefix')),
    vpc: parseVpc(raw),
    kmsKeyArn: arnOf('KMS key')(text(raw, 'kmsKeyArn'), 'kmsKeyArn'),
    gatewayConfig: parseGatewayConfig(raw),
    inFlightAlarmThreshold: integer(raw, 'inFlightAlarmThreshold', 1000, 1, 1_000_000),
    tokenIssuanceSecrets: (text(raw, 'tokenIssuanceSecrets') ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
    sinkParameters,
  };
  const requested = text(raw, 'sinks');
  params.sinks =
    requested === undefined ? selfContainedSinks(params, catalog) : parseSinkList(requested, catalog);
  params.syncSinks = parseSyncSinks(text(raw, 'syncSinks'), params.sinks, catalog);
  return params;
}

/**
 * The sinks deployed when `sinks` is not given: those that need no outside settings (the stack
 * makes their destination, or it is the account's own, like the default event bus), so a deploy
 * with no parameters at all delivers everything it accepts.
 */
export function selfContainedSinks(params: DeployParameters, catalog: SinkCatalog = sinkCatalog): SinkName[] {
  return catalog.definitions
    .filter((definition) => {
      const contribution = definition.deploy.contribute({ params, parameter: () => undefined });
      return (contribution.requiredParameters ?? []).length === 0;
    })
    .map((definition) => definition.name);
}

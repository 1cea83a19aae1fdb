import {
  GetSecretValueCommand,
  SecretsManagerClient,
  type GetSecretValueCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import type { GatewayConfig } from '../../config/settings';
import type { PostgresConfigKeys } from './settings';
import { ConfigError } from '../../config/errors';
import type { PostgresConnectionConfig, PostgresSinkOptions } from './sink';
import { checkIdentifier, TableNames } from './tables';
import { projectionOptions } from './projections/options';
import { describeError } from '../../errors/describe';

/** What is needed of Secrets Manager; tests hand in a stub. */
export interface SecretsReader {
  send(command: GetSecretValueCommand): Promise<Pick<GetSecretValueCommandOutput, 'SecretString'>>;
}

export interface PostgresConfigDependencies {
  /** Builds the Secrets Manager client for a region; the SDK's own client by default. */
  secretsClient?: (region: string) => SecretsReader;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** libpq's `sslmode` words with libpq's meaning: `require` encrypts without checking the certificate. */
function sslFromMode(mode: unknown, secretName: string): PostgresConnectionConfig['ssl'] {
  if (mode === undefined || mode === null || mode === '') return undefined;
  switch (mode) {
    case 'disable':
      return false;
    case 'no-verify':
    case 'prefer':
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
    case 'verify-full':
      return true;
    default:
      throw new ConfigError(`postgres secret ${secretName}: unknown sslmode ${JSON.stringify(mode)}`);
  }
}

function parsePort(value: unknown, secretName: string): number {
  const port = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(`postgres secret ${secretName}: "port" is not a valid port number`);
  }
  return port;
}

function requiredText(
  secret: Record<string, unknown>,
  names: string[],
  secretName: string,
  allowEmpty = false,
): string {
  for (const name of names) {
    const value = secret[name];
    if (typeof value === 'string' && (allowEmpty || value !== '')) return value;
  }
  throw new ConfigError(`postgres secret ${secretName}: field "${names[0]}" is missing`);
}

/**
 * Reads the connection from a Secrets Manager secret holding `{database, host, user, password, port}`
 * (the shape RDS writes, `dbname` and `username`, is read too). An empty database means the sink is
 * switched off, as in the Python gateway.
 */
export async function connectionFromSecret(
  secretName: string,
  region: string,
  secretsClient: (region: string) => SecretsReader = (r) => new SecretsManagerClient({ region: r }),
): Promise<PostgresConnectionConfig | undefined> {
  let text: string | undefined;
  try {
    const response = await secretsClient(region).send(new GetSecretValueCommand({ SecretId: secretName }));
    text = response.SecretString;
  } catch (error) {
    throw new ConfigError(`cannot read postgres secret ${secretName}: ${describeError(error)}`, {
      cause: error,
    });
  }
  if (text === undefined) throw new ConfigError(`postgres secret ${secretName} has no SecretString`);

  let secret: unknown;
  try {
    secret = JSON.parse(text);
  } catch {
    throw new ConfigError(`postgres secret ${secretName} is not JSON`);
  }
  if (typeof secret !== 'object' || secret === null || Array.isArray(secret)) {
    throw new ConfigError(`postgres secret ${secretName} is not a JSON object`);
  }
  const fields = secret as Record<string, unknown>;
  const database = fields.database ?? fields.dbname;
  if (database === undefined || database === null || database === '') return undefined;
  if (typeof database !== 'string')
    throw new ConfigError(`postgres secret ${secretName}: "database" is not a string`);

  const connection: PostgresConnectionConfig = {
    host: requiredText(fields, ['host'], secretName),
    port: parsePort(fields.port, secretName),
    user: requiredText(fields, ['user', 'username'], secretName),
    password: requiredText(fields, ['password'], secretName, true),
    database,
  };
  const ssl = sslFromMode(fields.sslmode, secretName);
  if (ssl !== undefined) connection.ssl = ssl;
  return connection;
}

/**
 * Where the Postgres sink connects, first match wins: `DATABASE_URL`, `postgres.url` in config, the
 * Secrets Manager secret named by `POSTGRES_SECRET_NAME` (in `POSTGRES_SECRET_REGION`, else the
 * function's own region). Undefined means the sink is not configured.
 */
export async function postgresSinkOptionsFromConfig(
  config: PostgresConfigKeys & Partial<Pick<GatewayConfig, 'topics'>>,
  env: NodeJS.ProcessEnv = process.env,
  dependencies: PostgresConfigDependencies = {},
): Promise<PostgresSinkOptions | undefined> {
  const settings = config.postgres ?? {};
  const common: PostgresSinkOptions = {};
  if (settings.tables !== undefined) common.tables = settings.tables;
  if (settings.schema !== undefined) common.schema = checkIdentifier(settings.schema, 'schema');
  if (settings.pool_max !== undefined) {
    if (!Number.isInteger(settings.pool_max) || settings.pool_max < 1) {
      throw new ConfigError('postgres.pool_max must be a positive integer');
    }
    common.poolMax = settings.pool_max;
  }
  if (settings.prepared_statements !== undefined) {
    if (typeof settings.prepared_statements !== 'boolean') {
      throw new ConfigError('postgres.prepared_statements must be true or false');
    }
    common.namedStatements = settings.prepared_statements;
  }
  const topics = Object.keys(config.topics ?? {});
  if (topics.length > 0) common.topics = topics;
  // Report clashing table names now, at load, rather than on the first write.
  new TableNames(common.tables).checkTopics(topics);
  Object.assign(common, projectionOptions(settings, topics));

  const url = nonEmpty(env.DATABASE_URL) ?? nonEmpty(settings.url);
  if (url !== undefined) return { ...common, connectionString: url };

  const secretName = nonEmpty(env.POSTGRES_SECRET_NAME);
  if (secretName === undefined) return undefined;
  const region =
    nonEmpty(env.POSTGRES_SECRET_REGION) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  if (region === undefined) {
    throw new ConfigError('POSTGRES_SECRET_NAME is set but neither POSTGRES_SECRET_REGION nor AWS_REGION is');
  }
  const connection = await connectionFromSecret(secretName, region, dependencies.secretsClient);
  return connection === undefined ? undefined : { ...common, connection };
}

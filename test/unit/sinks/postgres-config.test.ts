import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../../../shared/config/errors';
import { postgresSinkOptionsFromConfig } from '../../../shared/sinks/postgres/sink';
import type { SecretsReader } from '../../../shared/sinks/postgres/config';

interface SecretRequest {
  region: string;
  secretId: string | undefined;
}

/** A Secrets Manager stand-in that records what was asked and answers with the given SecretString. */
function secretsManager(answer: string | undefined | Error) {
  const requests: SecretRequest[] = [];
  const secretsClient = (region: string): SecretsReader => ({
    async send(command: GetSecretValueCommand) {
      requests.push({ region, secretId: command.input.SecretId });
      if (answer instanceof Error) throw answer;
      return { SecretString: answer };
    },
  });
  return { requests, secretsClient };
}

const secretEnv = { POSTGRES_SECRET_NAME: 'eventgate/postgres', POSTGRES_SECRET_REGION: 'eu-west-1' };
const goodSecret = JSON.stringify({
  database: 'events',
  host: 'db.internal',
  user: 'writer',
  password: 'pw',
  port: 5432,
});

describe('postgresSinkOptionsFromConfig: where the connection comes from', () => {
  test('DATABASE_URL wins over config and secret', async () => {
    const secrets = secretsManager(goodSecret);
    const options = await postgresSinkOptionsFromConfig(
      { postgres: { url: 'postgres://from-config/db' } },
      { ...secretEnv, DATABASE_URL: 'postgres://from-env/db' },
      secrets,
    );
    expect(options).toEqual({ connectionString: 'postgres://from-env/db' });
    expect(secrets.requests).toEqual([]);
  });

  test('config postgres.url comes next', async () => {
    const secrets = secretsManager(goodSecret);
    const options = await postgresSinkOptionsFromConfig(
      { postgres: { url: 'postgres://from-config/db' } },
      secretEnv,
      secrets,
    );
    expect(options?.connectionString).toBe('postgres://from-config/db');
    expect(secrets.requests).toEqual([]);
  });

  test('then the Secrets Manager secret, read in its region', async () => {
    const secrets = secretsManager(goodSecret);
    const options = await postgresSinkOptionsFromConfig({}, secretEnv, secrets);
    expect(options).toEqual({
      connection: { host: 'db.internal', port: 5432, user: 'writer', password: 'pw', database: 'events' },
    });
    expect(secrets.requests).toEqual([{ region: 'eu-west-1', secretId: 'eventgate/postgres' }]);
  });

  test('nothing configured means no sink', async () => {
    const secrets = secretsManager(goodSecret);
    expect(await postgresSinkOptionsFromConfig({}, {}, secrets)).toBeUndefined();
    expect(
      await postgresSinkOptionsFromConfig({ postgres: { url: '' } }, { DATABASE_URL: '' }, secrets),
    ).toBeUndefined();
    expect(secrets.requests).toEqual([]);
  });

  test('a secret with an empty database switches the sink off', async () => {
    const secrets = secretsManager(
      JSON.stringify({ database: '', host: 'h', user: 'u', password: 'p', port: 5432 }),
    );
    expect(await postgresSinkOptionsFromConfig({}, secretEnv, secrets)).toBeUndefined();
  });

  test('the secret region falls back to the function region', async () => {
    const secrets = secretsManager(goodSecret);
    await postgresSinkOptionsFromConfig(
      {},
      { POSTGRES_SECRET_NAME: 'name', AWS_REGION: 'us-east-2' },
      secrets,
    );
    expect(secrets.requests).toEqual([{ region: 'us-east-2', secretId: 'name' }]);
  });

  test('a secret name with no region anywhere is a config error', async () => {
    await expect(
      postgresSinkOptionsFromConfig({}, { POSTGRES_SECRET_NAME: 'name' }, secretsManager(goodSecret)),
    ).rejects.toThrow(ConfigError);
  });

  test('the RDS secret layout (username, dbname, port as text) is read too', async () => {
    const secrets = secretsManager(
      JSON.stringify({
        engine: 'postgres',
        dbname: 'events',
        host: 'h',
        username: 'u',
        password: 'p',
        port: '6432',
      }),
    );
    const options = await postgresSinkOptionsFromConfig({}, secretEnv, secrets);
    expect(options?.connection).toEqual({
      host: 'h',
      port: 6432,
      user: 'u',
      password: 'p',
      database: 'events',
    });
  });

  test('sslmode in the secret keeps libpq’s meaning', async () => {
    const secret = (sslmode: string) =>
      JSON.stringify({ database: 'd', host: 'h', user: 'u', password: 'p', port: 5432, sslmode });
    const ssl = async (sslmode: string) =>
      (await postgresSinkOptionsFromConfig({}, secretEnv, secretsManager(secret(sslmode))))?.connection?.ssl;
    expect(await ssl('require')).toEqual({ rejectUnauthorized: false });
    expect(await ssl('verify-full')).toBe(true);
    expect(await ssl('disable')).toBe(false);
    await expect(ssl('sometimes')).rejects.toThrow(ConfigError);
  });

  test.each([
    ['a missing host', { database: 'd', user: 'u', password: 'p', port: 5432 }, /"host" is missing/],
    ['a missing user', { database: 'd', host: 'h', password: 'p', port: 5432 }, /"user" is missing/],
    ['a missing password', { database: 'd', host: 'h', user: 'u', port: 5432 }, /"password" is missing/],
    ['a missing port', { database: 'd', host: 'h', user: 'u', password: 'p' }, /"port"/],
    [
      'a port that is not a number',
      { database: 'd', host: 'h', user: 'u', password: 'p', port: 'abc' },
      /"port"/,
    ],
    ['a port out of range', { database: 'd', host: 'h', user: 'u', password: 'p', port: 70000 }, /"port"/],
  ])('a secret with %s is a config error', async (_, secret, message) => {
    const promise = postgresSinkOptionsFromConfig({}, secretEnv, secretsManager(JSON.stringify(secret)));
    await expect(promise).rejects.toThrow(ConfigError);
    await expect(promise).rejects.toThrow(message);
  });

  test('a secret that is not a JSON object is a config error', async () => {
    for (const text of ['not json', '[1,2]', 'null']) {
      await expect(postgresSinkOptionsFromConfig({}, secretEnv, secretsManager(text))).rejects.toThrow(
        ConfigError,
      );
    }
    await expect(postgresSinkOptionsFromConfig({}, secretEnv, secretsManager(undefined))).rejects.toThrow(
      /has no SecretString/,
    );
  });

  test('a secret that cannot be read is a config error naming the secret', async () => {
    const secrets = secretsManager(new Error('AccessDeniedException: not allowed'));
    await expect(postgresSinkOptionsFromConfig({}, secretEnv, secrets)).rejects.toThrow(
      /cannot read postgres secret eventgate\/postgres: AccessDeniedException/,
    );
  });
});

describe('postgresSinkOptionsFromConfig: the rest of the postgres settings', () => {
  const env = { DATABASE_URL: 'postgres://db/events' };

  test('tables, schema, pool size and the configured topics are passed on', async () => {
    const config: Parameters<typeof postgresSinkOptionsFromConfig>[0] = {
      postgres: { tables: { 'public.cps.za.runs': 'runs' }, schema: 'events', pool_max: 3 },
      topics: { 'public.cps.za.runs': {}, 'public.cps.za.test': {} },
    };
    expect(await postgresSinkOptionsFromConfig(config, env)).toEqual({
      connectionString: 'postgres://db/events',
      tables: { 'public.cps.za.runs': 'runs' },
      schema: 'events',
      poolMax: 3,
      topics: ['public.cps.za.runs', 'public.cps.za.test'],
    });
  });

  test('configured topics whose tables would clash are refused at load', async () => {
    const config: Parameters<typeof postgresSinkOptionsFromConfig>[0] = {
      topics: { 'orders.created': {}, orders_created: {} },
    };
    await expect(postgresSinkOptionsFromConfig(config, env)).rejects.toThrow(/would both write to table/);
  });

  test('a schema that is not a plain identifier, or a pool size below one, is refused', async () => {
    await expect(postgresSinkOptionsFromConfig({ postgres: { schema: 'Events"; --' } }, env)).rejects.toThrow(
      ConfigError,
    );
    await expect(postgresSinkOptionsFromConfig({ postgres: { pool_max: 0 } }, env)).rejects.toThrow(
      ConfigError,
    );
  });
});

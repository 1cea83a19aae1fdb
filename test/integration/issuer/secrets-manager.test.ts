import { decodeJwt } from 'jose';
import { command as clientCommand } from '../../../shared/cli/client';
import { GatewayStateLoader } from '../../../shared/gateway/state';
import { createIngestApp, type IngestApp } from '../../../shared/ingest/app';
import { generateSigningKeyPem } from '../../../shared/issuer/signing-key';
import {
  startSecretsManagerServer,
  type SecretsManagerServerHandle,
} from '../../peers/secrets-manager-server';
import {
  createTestConf,
  RecordingDelivery,
  v2Event,
  validTestEvent,
  type TestConf,
} from '../../helpers/gateway';

const CLIENTS = 'secretsmanager://eventgate/test/clients';
const KEY = 'secretsmanager://eventgate/test/signing-key';

let conf: TestConf;
let secrets: SecretsManagerServerHandle;
const saved = { ...process.env };

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  const printed: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((line: string) => printed.push(line));
  const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    return { code: await clientCommand.run([...args, '--conf', conf.dir]), out: printed.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

function build(): IngestApp {
  const delivery = new RecordingDelivery();
  return createIngestApp({
    state: new GatewayStateLoader({ confDir: conf.dir, env: { EVENTGATE_SINKS: 'postgres' } }),
    deliveries: { sync: delivery, async: delivery },
  });
}

async function grant(app: IngestApp, clientId: string, clientSecret: string) {
  const response = await app(
    v2Event({
      method: 'POST',
      path: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
      }).toString(),
    }),
  );
  return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
}

// On AWS the clients and the signing key live in Secrets Manager; here a server speaking its protocol.
describe('token issuance with Secrets Manager', () => {
  beforeAll(async () => {
    secrets = await startSecretsManagerServer();
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    conf = await createTestConf();
    secrets.secrets.set('eventgate/test/signing-key', generateSigningKeyPem('RS256'));
    conf.setConfig({
      topics: { 'public.cps.za.test': { mode: 'sync' } },
      token_issuance: { clients: CLIENTS, signing_key: KEY, clients_ttl_seconds: 0 },
    });
  });
  afterAll(async () => {
    process.env = saved;
    conf?.cleanup();
    await secrets?.stop();
  });

  it('adds, rotates and removes clients in the secret, and issues RS256 tokens with the key from it', async () => {
    const added = await cli('add', 'TestUser');
    expect(added.code).toBe(0);
    expect(secrets.calls).toContain('CreateSecret');
    const stored = secrets.secrets.get('eventgate/test/clients') ?? '';
    const secret = (JSON.parse(added.out) as { client_secret: string }).client_secret;
    expect(stored).toContain('scrypt$');
    expect(stored).not.toContain(secret);

    const app = build();
    const issued = await grant(app, 'TestUser', secret);
    expect(issued.status).toBe(200);
    const token = issued.body.access_token as string;
    expect(decodeJwt(token).sub).toBe('TestUser');
    const published = await app(
      v2Event({
        method: 'POST',
        path: '/topics/public.cps.za.test',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(validTestEvent()),
      }),
    );
    expect(published.statusCode).toBe(202);

    const rotated = await cli('rotate', 'TestUser');
    const newSecret = (JSON.parse(rotated.out) as { client_secret: string }).client_secret;
    expect(secrets.calls).toContain('PutSecretValue');
    expect((await grant(app, 'TestUser', secret)).status).toBe(401);
    expect((await grant(app, 'TestUser', newSecret)).status).toBe(200);

    expect((await cli('remove', 'TestUser')).code).toBe(0);
    expect((await grant(app, 'TestUser', newSecret)).status).toBe(401);
  });

  it('refuses to load when the signing key secret is missing', async () => {
    conf.setConfig({ token_issuance: { clients: CLIENTS, signing_key: 'secretsmanager://nope' } });
    const state = new GatewayStateLoader({ confDir: conf.dir, env: { EVENTGATE_SINKS: 'postgres' } });
    await expect(state.current()).rejects.toThrow(/secretsmanager:\/\/nope/);
  });
});

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load';
import { confDir as defaultConfDir } from '../config/settings';
import { CLIENT_ID, clientStoreAt, type ClientRecord, type ClientStore } from '../issuer/clients';
import { ISSUANCE_DEFAULTS } from '../issuer/issuer';
import { generateSecret, hashSecret } from '../issuer/secret-hash';
import { generateSigningKeyPem, type IssuerAlgorithm } from '../issuer/signing-key';
import type { Command } from './main';
import { describeError } from '../errors/describe';

const HELP = `Usage: eventgate client <add|rotate|remove|list> [CLIENT_ID] [options]
       eventgate client key [--out FILE] [--alg ES256|RS256]

Manages the clients of the gateway's token endpoint (POST /token). A client's secret is printed
once, when it is made (add) or replaced (rotate); only its scrypt hash is stored.

  --conf DIR          configuration directory (default ./conf, or CONF_DIR)
  --store LOCATION    the clients: a JSON file, or secretsmanager://<secret id> on AWS
                      (default: token_issuance.clients in config.json, else clients.json)
  --region REGION     AWS region of the secret
  --scope SCOPE       a scope the client may ask for (add; repeatable)
  --audience AUD      an audience the client may ask for besides token_audience (add; repeatable)
  --expires-in-days N the client gets no tokens after N days (add, rotate)

  key                 writes a new private signing key (PKCS#8 PEM, mode 600) to --out
                      (default: token_issuance.signing_key, else issuer-signing-key.pem)
`;

async function storeFor(
  confDir: string,
  store: string | undefined,
  region: string | undefined,
): Promise<ClientStore> {
  if (store) return clientStoreAt(store, process.cwd(), region);
  const config = await loadConfig(confDir).catch(() => ({ token_issuance: undefined }));
  const settings = config.token_issuance ?? {};
  return clientStoreAt(settings.clients ?? ISSUANCE_DEFAULTS.clients, confDir, region ?? settings.region);
}

async function writeKey(confDir: string, out: string | undefined, algorithm: string): Promise<number> {
  if (algorithm !== 'ES256' && algorithm !== 'RS256') {
    console.error(`--alg must be ES256 or RS256, got "${algorithm}"`);
    return 2;
  }
  let file = out === undefined ? undefined : path.resolve(out);
  if (file === undefined) {
    const config = await loadConfig(confDir).catch(() => ({ token_issuance: undefined }));
    file = path.resolve(confDir, config.token_issuance?.signing_key ?? ISSUANCE_DEFAULTS.signing_key);
  }
  try {
    // Never overwrite: replacing the key invalidates every token issued with the old one.
    await writeFile(file, generateSigningKeyPem(algorithm as IssuerAlgorithm), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    console.error(`cannot write ${file}: ${describeError(error)}`);
    return 1;
  }
  console.log(`wrote a new ${algorithm} signing key to ${file}`);
  return 0;
}

export const command: Command = {
  summary: 'manage the clients of the token endpoint',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        conf: { type: 'string' },
        store: { type: 'string' },
        region: { type: 'string' },
        scope: { type: 'string', multiple: true },
        audience: { type: 'string', multiple: true },
        'expires-in-days': { type: 'string' },
        out: { type: 'string' },
        alg: { type: 'string', default: 'ES256' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const [action, clientId] = positionals;
    if (values.help || action === undefined) {
      console.log(HELP);
      return values.help ? 0 : 2;
    }
    const confDir = path.resolve(values.conf ?? defaultConfDir());
    if (action === 'key') return writeKey(confDir, values.out, values.alg as string);
    if (!['add', 'rotate', 'remove', 'list'].includes(action)) {
      console.error(`Unknown action "${action}".\n\n${HELP}`);
      return 2;
    }
    const store = await storeFor(confDir, values.store, values.region);
    const document = await store.read();
    if (action === 'list') {
      for (const [id, record] of Object.entries(document.clients)) {
        const scopes = record.scopes?.length ? ` scopes=${record.scopes.join(',')}` : '';
        console.log(
          `${id}\tcreated ${record.created_at}${record.rotated_at ? `, rotated ${record.rotated_at}` : ''}${scopes}`,
        );
      }
      return 0;
    }
    if (clientId === undefined || !CLIENT_ID.test(clientId)) {
      console.error(`A client id is required and must match ${CLIENT_ID.source}`);
      return 2;
    }
    const existing = Object.hasOwn(document.clients, clientId) ? document.clients[clientId] : undefined;
    if (action === 'remove') {
      if (!existing) {
        console.error(`No client "${clientId}" in ${store.location}`);
        return 1;
      }
      delete document.clients[clientId];
      await store.write(document);
      console.log(
        `removed client ${clientId} from ${store.location}; its tokens stay valid until they expire`,
      );
      return 0;
    }
    if (action === 'add' && existing) {
      console.error(`Client "${clientId}" already exists in ${store.location}; use rotate for a new secret`);
      return 1;
    }
    if (action === 'rotate' && !existing) {
      console.error(`No client "${clientId}" in ${store.location}`);
      return 1;
    }
    const days = values['expires-in-days'] === undefined ? undefined : Number(values['expires-in-days']);
    if (days !== undefined && !(Number.isFinite(days) && days > 0)) {
      console.error(`--expires-in-days must be a positive number, got "${values['expires-in-days']}"`);
      return 2;
    }
    const expiry =
      days === undefined ? {} : { expires_at: new Date(Date.now() + days * 86_400_000).toISOString() };
    const secret = generateSecret();
    const now = new Date().toISOString();
    const record: ClientRecord =
      action === 'add'
        ? {
            secret_hash: await hashSecret(secret),
            created_at: now,
            ...(values.scope ? { scopes: values.scope } : {}),
            ...(values.audience ? { audiences: values.audience } : {}),
            ...expiry,
          }
        : {
            ...(existing as ClientRecord),
            secret_hash: await hashSecret(secret),
            rotated_at: now,
            ...expiry,
          };
    document.clients[clientId] = record;
    await store.write(document);
    console.error(
      `${action === 'add' ? 'added' : 'rotated'} client ${clientId} in ${store.location}; the secret is shown only now:`,
    );
    console.log(JSON.stringify({ client_id: clientId, client_secret: secret }));
    return 0;
  },
};

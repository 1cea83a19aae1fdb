import { randomUUID } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../config/errors';
import { isSecretHash } from './secret-hash';
import { describeError, errorName } from '../errors/describe';
import type { SecretsManagerClient } from './secrets-manager';

/** The Secrets Manager client, loaded on first use (see ./secrets-manager.ts). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const secretsManager = (): typeof import('./secrets-manager') => require('./secrets-manager');

/** One client of the token endpoint. Only the hash of its secret is ever stored. */
export interface ClientRecord {
  secret_hash: string;
  /** Scopes it may ask for; none means it may ask for none. */
  scopes?: string[];
  /** Audiences it may ask for, besides the gateway's own `token_audience`. */
  audiences?: string[];
  created_at: string;
  rotated_at?: string;
  /** After this instant (ISO 8601) the client gets no more tokens. */
  expires_at?: string;
}

export interface ClientsDocument {
  clients: Record<string, ClientRecord>;
}

/** Client ids become the token's `sub`, which the access map names: plain, printable, bounded. */
export const CLIENT_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

export const SECRETS_MANAGER_PREFIX = 'secretsmanager://';

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** Checks a clients document; a broken one refuses every client rather than some of them. */
export function parseClientsDocument(value: unknown, source: string): ClientsDocument {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${source}: clients document must be a JSON object`);
  }
  const clients = (value as { clients?: unknown }).clients ?? {};
  if (typeof clients !== 'object' || clients === null || Array.isArray(clients)) {
    throw new ConfigError(`${source}: "clients" must map client ids to records`);
  }
  for (const [id, record] of Object.entries(clients as Record<string, unknown>)) {
    const where = `${source}: client "${id}"`;
    if (!CLIENT_ID.test(id)) throw new ConfigError(`${where}: id must match ${CLIENT_ID.source}`);
    if (typeof record !== 'object' || record === null) throw new ConfigError(`${where} is not an object`);
    const fields = record as Record<string, unknown>;
    if (!isSecretHash(fields.secret_hash))
      throw new ConfigError(`${where}: secret_hash is not a scrypt hash`);
    if (fields.expires_at !== undefined && Number.isNaN(Date.parse(String(fields.expires_at))))
      throw new ConfigError(`${where}: expires_at must be an ISO 8601 time`);
    for (const list of ['scopes', 'audiences'] as const) {
      if (fields[list] !== undefined && !isStringList(fields[list]))
        throw new ConfigError(`${where}: ${list} must be a list of strings`);
    }
  }
  return { clients: clients as Record<string, ClientRecord> };
}

/** Where the clients live: a JSON file locally, a Secrets Manager secret on AWS. */
export interface ClientStore {
  readonly location: string;
  read(): Promise<ClientsDocument>;
  write(document: ClientsDocument): Promise<void>;
}

export class FileClientStore implements ClientStore {
  constructor(readonly location: string) {}

  async read(): Promise<ClientsDocument> {
    let text: string;
    try {
      text = await readFile(this.location, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { clients: {} };
      throw new ConfigError(`cannot read ${this.location}: ${describeError(error)}`);
    }
    try {
      return parseClientsDocument(JSON.parse(text), this.location);
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(`${this.location} is not valid JSON`);
    }
  }

  /** Written to a private temp file and renamed into place, so a reader never sees half a file. */
  async write(document: ClientsDocument): Promise<void> {
    const temp = path.join(path.dirname(this.location), `.${path.basename(this.location)}.${randomUUID()}`);
    try {
      await writeFile(temp, `${JSON.stringify(document, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      await rename(temp, this.location);
    } finally {
      await rm(temp, { force: true });
    }
  }
}

export class SecretsManagerClientStore implements ClientStore {
  readonly location: string;
  constructor(
    private readonly secretId: string,
    private readonly client: () => Promise<SecretsManagerClient>,
  ) {
    this.location = `${SECRETS_MANAGER_PREFIX}${secretId}`;
  }

  async read(): Promise<ClientsDocument> {
    const sdk = secretsManager();
    try {
      const answer = await (
        await this.client()
      ).send(new sdk.GetSecretValueCommand({ SecretId: this.secretId }));
      return parseClientsDocument(JSON.parse(answer.SecretString ?? '{}'), this.location);
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return { clients: {} };
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(`cannot read ${this.location}: ${describeError(error)}`);
    }
  }

  async write(document: ClientsDocument): Promise<void> {
    const sdk = secretsManager();
    const client = await this.client();
    const SecretString = JSON.stringify(document);
    try {
      await client.send(new sdk.PutSecretValueCommand({ SecretId: this.secretId, SecretString }));
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException') throw error;
      await client.send(new sdk.CreateSecretCommand({ Name: this.secretId, SecretString }));
    }
  }
}

/** A store for `location`: `secretsmanager://<secret id>`, or a file path (relative to `baseDir`). */
export function clientStoreAt(location: string, baseDir: string, region?: string): ClientStore {
  if (location.startsWith(SECRETS_MANAGER_PREFIX)) {
    const secretId = location.slice(SECRETS_MANAGER_PREFIX.length);
    return new SecretsManagerClientStore(secretId, async () => {
      const { SecretsManagerClient } = secretsManager();
      return new SecretsManagerClient(region ? { region } : {});
    });
  }
  return new FileClientStore(path.resolve(baseDir, location));
}

/**
 * The clients as the token endpoint sees them: re-read at most every `ttlMs`, so a removed or
 * rotated client stops working within that time (at once for a file, whose reads are cheap).
 */
export class ClientDirectory {
  private cached?: { at: number; document: Promise<ClientsDocument> };

  constructor(
    private readonly store: ClientStore,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(clientId: string): Promise<ClientRecord | null> {
    const now = this.now();
    if (!this.cached || now - this.cached.at >= this.ttlMs) {
      const document = this.store.read();
      this.cached = { at: now, document };
      // A failed read is not remembered: the next request tries again.
      document.catch(() => {
        if (this.cached?.document === document) this.cached = undefined;
      });
    }
    const { clients } = await this.cached.document;
    return Object.hasOwn(clients, clientId) ? (clients[clientId] as ClientRecord) : null;
  }
}

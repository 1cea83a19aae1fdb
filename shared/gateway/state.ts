import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAccessMap, type AccessMap } from '../auth/access';
import { KeyStore } from '../auth/keys';
import { casefold } from '../auth/access';
import { TokenVerifier } from '../auth/token';
import { availableSinks, loadConfig, loadLegacyTopicKeys, syncCapableSinks } from '../config/load';
import { DEFAULTS, type GatewayConfig } from '../config/settings';
import { readJson, resolveLocation } from '../config/source';
import { ConfigError } from '../config/errors';
import { compileCorsPolicies, type CorsPolicies } from '../ingest/cors';
import { createIssuerGuards, TokenIssuer, type IssuerGuards } from '../issuer/issuer';
import { KeysWithIssuer } from '../issuer/verification-keys';
import { logger } from '../observability/logger';
import { sinkCatalog, type SinkCatalog } from '../sinks/catalog';
import type { SinkName } from '../sinks/types';
import { loadTopicRegistry, type TopicRegistry } from '../topics/registry';
import { describeError } from '../errors/describe';

/** Everything the ingest function derives from configuration, loaded together and swapped whole. */
export interface GatewayState {
  confDir: string;
  config: GatewayConfig;
  sinks: SinkName[];
  topics: TopicRegistry;
  access: AccessMap;
  verifier: TokenVerifier | null;
  /** The signing keys behind `verifier`, for /health. */
  keys: KeyStore | null;
  apiSpec: string;
  /** CORS policies, checked at load. */
  cors: CorsPolicies;
  /** The token endpoint, when `token_issuance` is configured. */
  issuer: TokenIssuer | null;
  /** Case-folded subjects allowed to `POST /terminate`. */
  operators: ReadonlySet<string>;
  loadedAt: number;
}

/**
 * A configuration load that failed, with the file (or s3:// location) it was reading when it did:
 * `POST /terminate` answers with both. The message is the underlying error's.
 */
export class ConfigLoadError extends ConfigError {
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// Most config errors start with the location they are about; that is the better file to name.
const LEADING_LOCATION = /^(?:cannot read |cannot list topic schemas in )?((?:s3:\/\/|\/)[^\s:]+)/;

/** Runs one step of a load; a failure is reported as a ConfigLoadError naming the file. */
async function loading<T>(file: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof ConfigLoadError) throw error;
    const message = describeError(error);
    const named = LEADING_LOCATION.exec(message)?.[1] ?? file;
    throw new ConfigLoadError(named, message, { cause: error });
  }
}

/** `operators` from config.json: a list of subjects, case-folded as the access map folds them. */
function operatorsOf(config: GatewayConfig, location: string): Set<string> {
  const listed = config.operators ?? [];
  if (
    !Array.isArray(listed) ||
    listed.some((subject) => typeof subject !== 'string' || subject.trim() === '')
  ) {
    throw new ConfigError(`${location}: "operators" must be a list of non-empty subject names`);
  }
  return new Set(listed.map((subject) => casefold(subject)));
}

function checkTokenLifetime(config: GatewayConfig, location: string): number {
  const seconds = config.token_max_lifetime_seconds ?? DEFAULTS.token_max_lifetime_seconds;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new ConfigError(`${location}: "token_max_lifetime_seconds" must be a positive number of seconds`);
  }
  return seconds;
}

export interface GatewayStateOptions {
  confDir: string;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
  /** The sinks configuration may name; default every sink EventGate has. */
  catalog?: SinkCatalog;
}

async function loadAccessMap(config: GatewayConfig, confDir: string): Promise<AccessMap> {
  const location = resolveLocation(config.access_config, confDir);
  return parseAccessMap(await readJson(location), location);
}

async function loadApiSpec(confDir: string): Promise<string> {
  const location = path.join(confDir, 'api.yaml');
  const spec = await readFile(location, 'utf8').catch(() => '');
  if (spec.trim() === '') throw new ConfigError(`${location} is missing or empty`);
  return spec;
}

/**
 * Holds the loaded state and reloads it after `reload_ttl_seconds` (in the background, serving the
 * old state meanwhile) or on demand. A reload that fails keeps the previous state and is logged:
 * one broken upload must not take a running gateway down.
 */
export class GatewayStateLoader {
  private state?: GatewayState;
  private loading?: Promise<GatewayState>;
  private keyStore?: { url: string; store: KeyStore };
  // Kept across reloads while its settings stay the same, so remembered tokens survive a reload.
  private verifier?: { settings: string; verifier: TokenVerifier; keys: KeyStore };
  // Outlive reloads, so reloading the configuration does not forgive failed token requests.
  private readonly issuerGuards: IssuerGuards = createIssuerGuards();
  private readonly env: NodeJS.ProcessEnv;
  private readonly now: () => number;
  private readonly catalog: SinkCatalog;

  constructor(private readonly options: GatewayStateOptions) {
    this.env = options.env ?? process.env;
    this.now = options.now ?? Date.now;
    this.catalog = options.catalog ?? sinkCatalog;
  }

  async current(): Promise<GatewayState> {
    if (!this.state) return this.load();
    const ttl = this.state.config.reload_ttl_seconds * 1000;
    if (this.now() - this.state.loadedAt > ttl && !this.loading) {
      this.load().catch((error: unknown) => logger.error('configuration reload failed', { error }));
    }
    return this.state;
  }

  /** Reloads config, access map, schemas and keys now; concurrent callers share one reload. */
  async reload(): Promise<GatewayState> {
    const state = await this.load();
    // The key server being down must not undo a good config reload; the old keys stay in use.
    await this.keyStore?.store
      .reload()
      .catch((error: unknown) =>
        logger.warn('signing keys could not be reloaded; keeping the old ones', { error }),
      );
    return state;
  }

  private load(): Promise<GatewayState> {
    this.loading ??= this.build().then(
      (state) => {
        this.state = state;
        this.loading = undefined;
        return state;
      },
      (error: unknown) => {
        this.loading = undefined;
        throw error;
      },
    );
    return this.loading;
  }

  private async build(): Promise<GatewayState> {
    const { confDir } = this.options;
    const configFile = this.env.CONFIG_LOCATION ?? path.join(confDir, 'config.json');
    const config = await loading(configFile, () => loadConfig(confDir, this.env, this.catalog));
    const { sinks, operators } = await loading(configFile, async () => {
      checkTokenLifetime(config, configFile);
      return {
        sinks: availableSinks(config, this.env, this.catalog),
        operators: operatorsOf(config, configFile),
      };
    });
    const [legacyKeys, access, apiSpec] = await Promise.all([
      loading(resolveLocation(config.topic_keys_config ?? configFile, confDir), () =>
        loadLegacyTopicKeys(config, confDir),
      ),
      loading(resolveLocation(config.access_config ?? 'access.json', confDir), () =>
        loadAccessMap(config, confDir),
      ),
      loading(path.join(confDir, 'api.yaml'), () => loadApiSpec(confDir)),
    ]);
    const topics = await loading(configFile, () =>
      loadTopicRegistry({
        config,
        confDir,
        availableSinks: sinks,
        legacyKeys,
        syncCapable: syncCapableSinks(this.env, this.catalog),
        catalog: this.catalog,
      }),
    );
    const issuer = config.token_issuance
      ? await loading(configFile, () =>
          TokenIssuer.create({
            settings: config.token_issuance as NonNullable<typeof config.token_issuance>,
            confDir,
            tokenIssuer: config.token_issuer,
            tokenAudience: config.token_audience,
            guards: this.issuerGuards,
          }),
        )
      : null;
    const verifier = this.verifierFor(config, issuer);
    return {
      confDir,
      config,
      sinks,
      topics,
      access,
      verifier,
      keys: verifier ? (this.verifier?.keys ?? null) : null,
      apiSpec,
      cors: compileCorsPolicies(config),
      issuer,
      operators,
      loadedAt: this.now(),
    };
  }

  /** The key store outlives reloads unless the key URL changed, so a reload does not drop cached keys. */
  private verifierFor(config: GatewayConfig, issuer: TokenIssuer | null): TokenVerifier | null {
    const url = config.token_public_keys_url;
    if (!url && !issuer) return null;
    if (url && this.keyStore?.url !== url) {
      const location = /^(https?|s3|file):/.test(url) ? url : resolveLocation(url, this.options.confDir);
      this.keyStore = {
        url,
        store: new KeyStore({
          url: location,
          ttlSeconds: config.token_keys_ttl_seconds,
        }),
      };
    }
    const outside = url ? (this.keyStore?.store ?? null) : null;
    // Tokens the gateway issues itself are checked with its own public key, held in-process.
    const ownKeys = issuer?.verificationKeys() ?? [];
    const maxLifetimeSeconds = config.token_max_lifetime_seconds ?? DEFAULTS.token_max_lifetime_seconds;
    const settings = JSON.stringify([
      url,
      config.token_issuer,
      config.token_audience,
      ownKeys.map((key) => key.kid),
      maxLifetimeSeconds,
    ]);
    if (this.verifier?.settings !== settings) {
      const keys = issuer ? new KeysWithIssuer(ownKeys, outside) : (outside as KeyStore);
      this.verifier = {
        settings,
        keys,
        verifier: new TokenVerifier({
          keys,
          issuer: config.token_issuer,
          audience: config.token_audience,
          maxLifetimeSeconds,
        }),
      };
    }
    return this.verifier.verifier;
  }
}

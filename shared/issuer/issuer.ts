import { createPublicKey, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { VerificationKey } from '../auth/keys';
import { ConfigError } from '../config/errors';
import type { HttpRequest } from '../http/request';
import { errorResponse, json, type HttpResponse } from '../http/response';
import { logger } from '../observability/logger';
import {
  CLIENT_ID,
  ClientDirectory,
  clientStoreAt,
  SECRETS_MANAGER_PREFIX,
  type ClientRecord,
} from './clients';
import { BruteForceGuard } from './guard';
import { verifySecret } from './secret-hash';
import { loadSigningKey, type IssuerSigningKey } from './signing-key';

/** `"token_issuance"` in config.json: its presence turns `POST /token` on. */
export interface TokenIssuanceSettings {
  /** A JSON file (relative to the conf dir) or `secretsmanager://<secret id>`. Default `clients.json`. */
  clients?: string;
  /** PEM private key: a file (relative to the conf dir) or `secretsmanager://<secret id>`. */
  signing_key?: string;
  /** The `iss` of issued tokens; default `token_issuer`, else `eventgate`. */
  issuer?: string;
  /** Token lifetime; default 1200 (20 minutes), at most 3600. */
  lifetime_seconds?: number;
  /** How long clients read from Secrets Manager are trusted; default 60. A file is read every time. */
  clients_ttl_seconds?: number;
  region?: string;
}

export const ISSUANCE_DEFAULTS = {
  clients: 'clients.json',
  signing_key: 'issuer-signing-key.pem',
  lifetime_seconds: 20 * 60,
  max_lifetime_seconds: 60 * 60,
  clients_ttl_seconds: 60,
} as const;

/** A token request body is a handful of short fields. */
const MAX_REQUEST_BYTES = 8 * 1024;
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Failed-attempt guards shared by every issuer a gateway builds, so a reload does not reset them. */
export interface IssuerGuards {
  /** Per client id: a few wrong secrets lock that client id out for a while. */
  client: BruteForceGuard;
  /** Per source address, more lenient (clients share NATs): one address spraying ids is stopped too. */
  address: BruteForceGuard;
}

export function createIssuerGuards(now?: () => number): IssuerGuards {
  return {
    client: new BruteForceGuard({ maxFailures: 5, windowSeconds: 300, lockoutSeconds: 300, now }),
    address: new BruteForceGuard({ maxFailures: 20, windowSeconds: 300, lockoutSeconds: 300, now }),
  };
}

interface TokenRequest {
  clientId: string;
  clientSecret: string;
  viaBasic: boolean;
  scope: string | null;
  audience: string | null;
}

type OAuthError =
  | 'invalid_request'
  | 'invalid_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'slow_down';

/** Our error shape and RFC 6749's (`error`, `error_description`) in one body, so both kinds of client read it. */
function oauthError(
  status: number,
  error: OAuthError,
  message: string,
  headers: Record<string, string> = {},
): HttpResponse {
  return errorResponse(
    status,
    { type: 'token', message },
    { 'Cache-Control': 'no-store', ...headers },
    { error, error_description: message },
  );
}

function formFields(request: HttpRequest): URLSearchParams | HttpResponse {
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  const body = request.body?.toString('utf8') ?? '';
  if (mediaType === 'application/x-www-form-urlencoded') return new URLSearchParams(body);
  if (mediaType === 'application/json') {
    try {
      const value: unknown = JSON.parse(body);
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new Error('not an object');
      const fields = new URLSearchParams();
      for (const [name, field] of Object.entries(value))
        if (typeof field === 'string') fields.set(name, field);
      return fields;
    } catch {
      return oauthError(400, 'invalid_request', 'Request body is not a JSON object');
    }
  }
  return errorResponse(415, {
    type: 'content_type',
    message: 'Send the token request as application/x-www-form-urlencoded (or application/json)',
  });
}

/** Client credentials from HTTP Basic (RFC 6749 §2.3.1: each part form-urlencoded) or the body. */
function tokenRequestOf(request: HttpRequest): TokenRequest | HttpResponse {
  if ((request.body?.length ?? 0) > MAX_REQUEST_BYTES) {
    return errorResponse(413, {
      type: 'size',
      message: `A token request takes at most ${MAX_REQUEST_BYTES} bytes`,
    });
  }
  const fields = formFields(request);
  if (!(fields instanceof URLSearchParams)) return fields;
  for (const name of ['grant_type', 'client_id', 'client_secret', 'scope', 'audience']) {
    if (fields.getAll(name).length > 1)
      return oauthError(400, 'invalid_request', `${name} is given more than once`);
  }
  const grantType = fields.get('grant_type');
  if (grantType === null) return oauthError(400, 'invalid_request', 'grant_type is required');
  if (grantType !== 'client_credentials') {
    return oauthError(400, 'unsupported_grant_type', 'Only the client_credentials grant is supported');
  }
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(request.headers.authorization ?? '');
  const inBody = fields.has('client_id') || fields.has('client_secret');
  if (basic && inBody) {
    return oauthError(
      400,
      'invalid_request',
      'Send client credentials in the Authorization header or the body, not both',
    );
  }
  let clientId: string | null;
  let clientSecret: string | null;
  if (basic) {
    const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return oauthError(401, 'invalid_client', 'Malformed Basic credentials');
    try {
      clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      clientSecret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    } catch {
      return oauthError(401, 'invalid_client', 'Malformed Basic credentials');
    }
  } else {
    clientId = fields.get('client_id');
    clientSecret = fields.get('client_secret');
  }
  if (!clientId || !clientSecret) {
    return oauthError(401, 'invalid_client', 'client_id and client_secret are required', {
      'WWW-Authenticate': 'Basic realm="eventgate"',
    });
  }
  return {
    clientId,
    clientSecret,
    viaBasic: basic !== null,
    scope: fields.get('scope'),
    audience: fields.get('audience'),
  };
}

/**
 * The OAuth 2.0 client-credentials token endpoint. Clients and their hashed secrets come from a
 * file or Secrets Manager; tokens are signed with the issuer's key, name the client as `sub` (so
 * the access map applies unchanged), always carry `exp`, and are verifiable with the JWKS it
 * publishes — which the gateway itself uses.
 */
export class TokenIssuer {
  private constructor(
    private readonly key: IssuerSigningKey,
    private readonly clients: ClientDirectory,
    private readonly guards: IssuerGuards,
    private readonly issuer: string,
    private readonly defaultAudience: string | null,
    private readonly lifetimeSeconds: number,
    private readonly now: () => number,
  ) {}

  static async create(options: {
    settings: TokenIssuanceSettings;
    confDir: string;
    tokenIssuer?: string;
    tokenAudience?: string;
    guards: IssuerGuards;
    now?: () => number;
  }): Promise<TokenIssuer> {
    const { settings } = options;
    const lifetime = settings.lifetime_seconds ?? ISSUANCE_DEFAULTS.lifetime_seconds;
    if (!Number.isInteger(lifetime) || lifetime < 60 || lifetime > ISSUANCE_DEFAULTS.max_lifetime_seconds) {
      throw new ConfigError(
        `config.json: token_issuance.lifetime_seconds must be an integer from 60 to ${ISSUANCE_DEFAULTS.max_lifetime_seconds}`,
      );
    }
    if (settings.issuer && options.tokenIssuer && settings.issuer !== options.tokenIssuer) {
      // The gateway checks `iss` against token_issuer: its own tokens would all be refused.
      throw new ConfigError('config.json: token_issuance.issuer must equal token_issuer when both are set');
    }
    const clientsAt = settings.clients ?? ISSUANCE_DEFAULTS.clients;
    const ttlSeconds = clientsAt.startsWith(SECRETS_MANAGER_PREFIX)
      ? (settings.clients_ttl_seconds ?? ISSUANCE_DEFAULTS.clients_ttl_seconds)
      : 0;
    const key = await loadSigningKey(
      settings.signing_key ?? ISSUANCE_DEFAULTS.signing_key,
      options.confDir,
      settings.region,
    );
    const now = options.now ?? Date.now;
    return new TokenIssuer(
      key,
      new ClientDirectory(clientStoreAt(clientsAt, options.confDir, settings.region), ttlSeconds * 1000, now),
      options.guards,
      settings.issuer ?? options.tokenIssuer ?? 'eventgate',
      options.tokenAudience ?? null,
      lifetime,
      now,
    );
  }

  /** The public key, for the gateway's own verifier. */
  verificationKeys(): VerificationKey[] {
    return [
      {
        kid: this.key.kid,
        family: this.key.algorithm === 'RS256' ? 'RSA' : 'EC',
        key: createPublicKey(this.key.privateKey),
      },
    ];
  }

  jwks(): HttpResponse {
    return json(200, { keys: [this.key.publicJwk] }, { 'Cache-Control': 'public, max-age=300' });
  }

  async token(request: HttpRequest, correlationId: string): Promise<HttpResponse> {
    const parsed = tokenRequestOf(request);
    if (!('clientId' in parsed)) return parsed;
    const address = `address:${request.sourceIp ?? 'unknown'}`;
    const clientKey = `client:${parsed.clientId}`;
    const logged = {
      // A client id that is not well formed may be anything an attacker chose; it is not echoed.
      clientId: CLIENT_ID.test(parsed.clientId) ? parsed.clientId : '(malformed)',
      sourceIp: request.sourceIp,
      correlationId,
    };
    const wait = Math.max(
      this.guards.client.retryAfterSeconds([clientKey]),
      this.guards.address.retryAfterSeconds([address]),
    );
    if (wait > 0) {
      logger.warn('token request refused', { ...logged, reason: 'locked out after repeated failures' });
      return oauthError(429, 'slow_down', 'Too many failed attempts; try again later', {
        'Retry-After': String(wait),
      });
    }
    const client = CLIENT_ID.test(parsed.clientId) ? await this.clients.get(parsed.clientId) : null;
    // Always one scrypt, known client or not, so timing does not reveal which ids exist.
    const valid = await verifySecret(parsed.clientSecret, client?.secret_hash ?? null);
    const expired = client?.expires_at !== undefined && Date.parse(client.expires_at) <= this.now();
    if (!valid || client === null || expired) {
      this.guards.client.recordFailure([clientKey]);
      this.guards.address.recordFailure([address]);
      logger.warn('token request refused', {
        ...logged,
        reason: client === null ? 'unknown client' : !valid ? 'wrong secret' : 'client expired',
      });
      return oauthError(401, 'invalid_client', 'Client authentication failed', {
        'WWW-Authenticate': 'Basic realm="eventgate"',
      });
    }
    this.guards.client.recordSuccess(clientKey);
    const granted = this.grantedScopes(client, parsed.scope);
    if (granted === null) {
      return oauthError(400, 'invalid_scope', 'The requested scope is not granted to this client');
    }
    const audience = parsed.audience ?? this.defaultAudience;
    if (
      audience !== null &&
      audience !== this.defaultAudience &&
      !(client.audiences ?? []).includes(audience)
    ) {
      return oauthError(400, 'invalid_target', `Audience '${audience}' is not granted to this client`);
    }
    const issuedAt = Math.floor(this.now() / 1000);
    const jwt = new SignJWT(granted.length > 0 ? { scope: granted.join(' ') } : {})
      .setProtectedHeader({ alg: this.key.algorithm, kid: this.key.kid, typ: 'JWT' })
      .setSubject(parsed.clientId)
      .setIssuer(this.issuer)
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(issuedAt + this.lifetimeSeconds)
      .setJti(randomUUID());
    if (audience !== null) jwt.setAudience(audience);
    const accessToken = await jwt.sign(this.key.privateKey);
    logger.info('token issued', { ...logged, expiresIn: this.lifetimeSeconds });
    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.lifetimeSeconds,
    };
    if (granted.length > 0) body.scope = granted.join(' ');
    return json(200, body, { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  }

  /** The scopes to grant: those asked for when the client holds them all, else all the client holds. */
  private grantedScopes(client: ClientRecord, requested: string | null): string[] | null {
    const held = client.scopes ?? [];
    if (requested === null || requested.trim() === '') return held;
    const asked = requested.split(' ').filter((scope) => scope !== '');
    if (asked.some((scope) => !SCOPE_TOKEN.test(scope) || !held.includes(scope))) return null;
    return [...new Set(asked)];
  }
}

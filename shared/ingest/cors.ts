import { ConfigError } from '../config/errors';
import type { HttpRequest } from '../http/request';
import { errorResponse, type HttpResponse } from '../http/response';

/**
 * `"cors"` in config.json (for every browser-facing route) or under a topic's settings (for that
 * topic's routes, replacing the global policy). Everything but `allowed_origins` has a default.
 */
export interface CorsSettings {
  /** Exact origins (`https://app.example.com`), subdomain wildcards (`https://*.example.com`) or `*`. */
  allowed_origins: string[];
  allowed_methods?: string[];
  /** Request headers a page may send; a trailing `*` allows a prefix (`ce-*`). */
  allowed_headers?: string[];
  exposed_headers?: string[];
  max_age_seconds?: number;
}

export const CORS_DEFAULTS = {
  allowed_headers: [
    'Authorization',
    'Content-Type',
    'Content-Encoding',
    'Idempotency-Key',
    'X-Correlation-ID',
    'ce-*',
  ],
  exposed_headers: ['X-Correlation-ID'],
  max_age_seconds: 600,
} as const;

/** A policy checked once at load, ready for the request path. */
export interface CorsPolicy {
  allowsOrigin(origin: string): boolean;
  /** Upper-cased; null means "whatever the route serves". */
  methods: string[] | null;
  allowsHeader(name: string): boolean;
  exposedHeaders: string[];
  maxAgeSeconds: number;
}

export interface CorsPolicies {
  global: CorsPolicy | null;
  /** Lower-cased topic name → that topic's policy. */
  topics: Map<string, CorsPolicy>;
}

export const NO_CORS: CorsPolicies = { global: null, topics: new Map() };

const ORIGIN = /^(https?):\/\/([a-z0-9.-]+|\[[0-9a-f:]+\])(?::(\d{1,5}))?$/;
const WILDCARD_ORIGIN = /^(https?):\/\/\*\.([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?::(\d{1,5}))?$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function stringList(value: unknown, where: string, field: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new ConfigError(`${where}: cors.${field} must be a list of strings`);
  }
  return value as string[];
}

/**
 * `https://*.example.com` matches `https://a.example.com` and `https://a.b.example.com` (same
 * scheme and port) but not `https://example.com` nor `https://evil-example.com`.
 */
function originMatcher(entries: string[], where: string): (origin: string) => boolean {
  if (entries.includes('*')) return () => true;
  const exact = new Set<string>();
  const wildcards: Array<{ scheme: string; suffix: string; port: string | undefined }> = [];
  for (const entry of entries) {
    const lowered = entry.toLowerCase();
    const wildcard = WILDCARD_ORIGIN.exec(lowered);
    if (wildcard) {
      wildcards.push({ scheme: wildcard[1] as string, suffix: `.${wildcard[2]}`, port: wildcard[3] });
      continue;
    }
    if (!ORIGIN.test(lowered)) {
      throw new ConfigError(
        `${where}: cors origin "${entry}" must be scheme://host[:port] (no path), ` +
          `scheme://*.domain[:port] or *`,
      );
    }
    exact.add(lowered);
  }
  return (origin) => {
    const lowered = origin.toLowerCase();
    if (exact.has(lowered)) return true;
    const parsed = ORIGIN.exec(lowered);
    if (!parsed) return false;
    const [, scheme, host, port] = parsed as unknown as [string, string, string, string | undefined];
    return wildcards.some(
      (rule) =>
        rule.scheme === scheme &&
        rule.port === port &&
        host.endsWith(rule.suffix) &&
        host.length > rule.suffix.length,
    );
  };
}

function headerMatcher(entries: string[]): (name: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const entry of entries) {
    const lowered = entry.toLowerCase();
    if (lowered.endsWith('*')) prefixes.push(lowered.slice(0, -1));
    else exact.add(lowered);
  }
  return (name) => {
    const lowered = name.toLowerCase();
    return exact.has(lowered) || prefixes.some((prefix) => lowered.startsWith(prefix));
  };
}

/** Checks one `cors` block; a mistake is a configuration error at load, not a surprise in a browser. */
export function compileCorsPolicy(value: unknown, where: string): CorsPolicy {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${where}: cors must be an object`);
  }
  const settings = value as Record<string, unknown>;
  const origins = stringList(settings.allowed_origins, where, 'allowed_origins');
  if (origins === undefined || origins.length === 0) {
    throw new ConfigError(`${where}: cors.allowed_origins must list at least one origin`);
  }
  const methods = stringList(settings.allowed_methods, where, 'allowed_methods');
  const headers = stringList(settings.allowed_headers, where, 'allowed_headers');
  const exposed = stringList(settings.exposed_headers, where, 'exposed_headers');
  for (const name of [
    ...(methods ?? []),
    ...(headers ?? []).map((h) => h.replace(/\*$/, 'x')),
    ...(exposed ?? []),
  ]) {
    if (!TOKEN.test(name))
      throw new ConfigError(`${where}: cors names "${name}", which is not a valid token`);
  }
  const maxAge = settings.max_age_seconds ?? CORS_DEFAULTS.max_age_seconds;
  if (typeof maxAge !== 'number' || !Number.isInteger(maxAge) || maxAge < 0 || maxAge > 86_400) {
    throw new ConfigError(`${where}: cors.max_age_seconds must be an integer from 0 to 86400`);
  }
  return {
    allowsOrigin: originMatcher(origins, where),
    methods: methods ? methods.map((method) => method.toUpperCase()) : null,
    allowsHeader: headerMatcher(headers ?? [...CORS_DEFAULTS.allowed_headers]),
    exposedHeaders: exposed ?? [...CORS_DEFAULTS.exposed_headers],
    maxAgeSeconds: maxAge,
  };
}

/** The global `cors` block and every topic's own, from config.json. */
export function compileCorsPolicies(
  config: { cors?: unknown; topics?: Record<string, { cors?: unknown }> },
  where = 'config.json',
): CorsPolicies {
  const global = config.cors === undefined ? null : compileCorsPolicy(config.cors, where);
  const topics = new Map<string, CorsPolicy>();
  for (const [name, settings] of Object.entries(config.topics ?? {})) {
    if (settings?.cors !== undefined) {
      topics.set(name.toLowerCase(), compileCorsPolicy(settings.cors, `${where}: topic "${name}"`));
    }
  }
  return { global, topics };
}

/** The policy for a route: a topic's own when it has one, else the global one. */
export function policyFor(policies: CorsPolicies, topic: string | undefined): CorsPolicy | null {
  if (topic !== undefined) {
    const own = policies.topics.get(topic.toLowerCase());
    if (own) return own;
  }
  return policies.global;
}

export interface CorsRoute {
  /** Methods the route serves, without OPTIONS. */
  methods: readonly string[];
  topic?: string;
}

function allowedMethods(policy: CorsPolicy, route: CorsRoute): string[] {
  return route.methods.filter((method) => policy.methods === null || policy.methods.includes(method));
}

/**
 * Answers an `OPTIONS` request. A real preflight (it names `Access-Control-Request-Method`) from an
 * allowed origin asking for allowed methods and headers gets the CORS grant; any other preflight a
 * 403 with no CORS headers, so the browser blocks the request and the page's developer sees why in
 * the network panel. A plain OPTIONS is answered with `Allow`.
 */
export function answerPreflight(
  request: HttpRequest,
  route: CorsRoute,
  policies: CorsPolicies,
): HttpResponse {
  const allow = [...route.methods, 'OPTIONS'].join(', ');
  const origin = request.headers.origin;
  const requestedMethod = request.headers['access-control-request-method'];
  if (origin === undefined || requestedMethod === undefined) {
    return { statusCode: 204, headers: { Allow: allow }, body: '' };
  }
  const policy = policyFor(policies, route.topic);
  const vary = { Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' };
  const refuse = (message: string): HttpResponse =>
    errorResponse(403, { type: 'cors', message }, { ...vary, Allow: allow });
  if (policy === null) return refuse('Cross-origin requests are not enabled here');
  if (!policy.allowsOrigin(origin)) return refuse(`Origin '${origin}' is not allowed`);
  const methods = allowedMethods(policy, route);
  if (!methods.includes(requestedMethod.toUpperCase())) {
    return refuse(`Method '${requestedMethod}' is not allowed from other origins`);
  }
  const requestedHeaders = (request.headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const refused = requestedHeaders.filter((name) => !policy.allowsHeader(name));
  if (refused.length > 0) return refuse(`Header(s) ${refused.join(', ')} not allowed from other origins`);
  const headers: Record<string, string> = {
    ...vary,
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': methods.join(', '),
    'Access-Control-Max-Age': String(policy.maxAgeSeconds),
  };
  // Echoing the checked list is exact; a pattern such as `ce-*` cannot be sent as it is.
  if (requestedHeaders.length > 0) headers['Access-Control-Allow-Headers'] = requestedHeaders.join(', ');
  return { statusCode: 204, headers, body: '' };
}

/**
 * Adds the CORS grant to an actual response when the request's origin is allowed. A disallowed
 * origin's response carries no CORS header, so its page cannot read the answer.
 */
export function addCorsHeaders(
  request: HttpRequest,
  response: HttpResponse,
  route: CorsRoute,
  policies: CorsPolicies,
): void {
  const policy = policyFor(policies, route.topic);
  if (policy === null) return;
  // The answer depends on Origin, so no cache may hand one origin's answer to another.
  response.headers.Vary = response.headers.Vary ? `${response.headers.Vary}, Origin` : 'Origin';
  const origin = request.headers.origin;
  if (origin === undefined || !policy.allowsOrigin(origin)) return;
  response.headers['Access-Control-Allow-Origin'] = origin;
  if (policy.exposedHeaders.length > 0) {
    response.headers['Access-Control-Expose-Headers'] = policy.exposedHeaders.join(', ');
  }
}

import type { Delivery } from '../delivery/types';
import type { GatewayState, GatewayStateLoader } from '../gateway/state';
import type { HttpRequest } from '../http/request';
import { errorResponse, json, text, type HttpResponse } from '../http/response';
import { serveHttp, type HttpFunction } from '../http/serve';
import { sinkCatalog, type SinkCatalog } from '../sinks/catalog';
import { DEFAULTS } from '../config/settings';
import { decodeRequestBody } from './content-encoding';
import { addCorsHeaders, answerPreflight, type CorsRoute } from './cors';
import { docsAsset, docsPage } from './docs';
import { health } from './health';
import { postEvents } from './post-events';
import { matchRoute, type RouteMatch } from './routes';
import type { QuarantineKeeper } from '../quarantine/keeper';
import { currentSchemaResponse, versionListResponse, versionResponse } from '../schemas/http';
import { terminate } from './terminate';

// The OpenAPI document and the YAML library it is written with are loaded on the first `GET /api`:
// a cold start never parses them (the Lambda bundle carries them as a file of their own).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const openApi = (): typeof import('../schemas/openapi') => require('../schemas/openapi');

export interface IngestAppOptions {
  state: GatewayStateLoader;
  /** Writes for sync topics, enqueues for async topics; also what /health and size limits ask. */
  deliveries: { sync: Delivery; async: Delivery };
  /** The sinks /health lists. */
  catalog?: SinkCatalog;
  startedAt?: number;
  /** Where events refused by quarantine-enabled topics are kept. */
  quarantine?: QuarantineKeeper;
}

export type IngestApp = HttpFunction;

async function route(
  request: HttpRequest,
  correlationId: string,
  options: IngestAppOptions,
): Promise<HttpResponse> {
  const match = matchRoute(request.method, request.path);
  if (match.kind === 'not-found') return errorResponse(404, { type: 'route', message: 'Resource not found' });
  if (match.kind === 'method-not-allowed') {
    return errorResponse(
      405,
      {
        type: 'method',
        message: `Method ${request.method} is not allowed here; use ${match.allow.join(', ')}`,
      },
      { Allow: match.allow.join(', ') },
    );
  }

  if (match.path === '/terminate') return terminate(request, correlationId, options.state);

  const state: GatewayState = await options.state.current();
  const corsRoute = corsRouteOf(match);
  if (corsRoute === null) return serve(request, match, state, correlationId, options);
  if (match.method === 'OPTIONS') return answerPreflight(request, corsRoute, state.cors);
  const response = await serve(request, match, state, correlationId, options);
  addCorsHeaders(request, response, corsRoute, state.cors);
  return response;
}

/** Routes that answer OPTIONS are open to other origins under the CORS policy. */
function corsRouteOf(match: Extract<RouteMatch, { kind: 'found' }>): CorsRoute | null {
  if (!match.allow.includes('OPTIONS')) return null;
  return { methods: match.allow.filter((method) => method !== 'OPTIONS'), topic: match.params.topic };
}

async function serve(
  request: HttpRequest,
  match: Extract<RouteMatch, { kind: 'found' }>,
  state: GatewayState,
  correlationId: string,
  options: IngestAppOptions,
): Promise<HttpResponse> {
  switch (match.path) {
    case '/terminate':
      return terminate(request, correlationId, options.state);
    case '/api':
      return text(200, openApi().servedApiSpec(state.apiSpec, state.topics), 'application/yaml');
    case '/docs':
      return docsPage();
    case '/docs/{asset}':
      return (
        (await docsAsset(match.params.asset ?? '')) ??
        errorResponse(404, { type: 'route', message: 'Resource not found' })
      );
    case '/token': {
      if (match.method === 'POST') {
        if (!state.issuer)
          return errorResponse(404, { type: 'route', message: 'Token issuance is not enabled' });
        return state.issuer.token(request, correlationId);
      }
      const location = state.config.token_provider_url;
      if (!location) return errorResponse(404, { type: 'route', message: 'No token provider is configured' });
      return { statusCode: 303, headers: { Location: location }, body: '' };
    }
    case '/.well-known/jwks.json':
      return (
        state.issuer?.jwks() ??
        errorResponse(404, { type: 'route', message: 'Token issuance is not enabled' })
      );
    case '/health':
      return health(state, {
        deliveries: options.deliveries,
        sinkNames: (options.catalog ?? sinkCatalog).names,
        startedAt: options.startedAt ?? Date.now(),
      });
    case '/topics':
      return json(200, state.topics.names());
    case '/topics/{topic}': {
      const name = match.params.topic ?? '';
      if (match.method === 'POST') {
        const decoded = decodeRequestBody(request, state.config.max_body_bytes ?? DEFAULTS.max_body_bytes);
        if (!decoded.ok) return errorResponse(decoded.status, decoded.error, decoded.headers);
        return postEvents(decoded.request, name, {
          state,
          correlationId,
          deliveries: options.deliveries,
          quarantine: options.quarantine,
        });
      }
      const topic = state.topics.get(name);
      if (!topic)
        return errorResponse(404, { type: 'topic', message: `Topic '${name.toLowerCase()}' not found` });
      // The body stays the bare schema, as clients of the Python gateway expect; the rest is in headers.
      return currentSchemaResponse(topic);
    }
    case '/topics/{topic}/versions':
    case '/topics/{topic}/versions/{version}': {
      const name = match.params.topic ?? '';
      const topic = state.topics.get(name);
      if (!topic)
        return errorResponse(404, { type: 'topic', message: `Topic '${name.toLowerCase()}' not found` });
      return match.path === '/topics/{topic}/versions'
        ? versionListResponse(topic)
        : versionResponse(topic, match.params.version ?? '');
    }
  }
}

/**
 * The ingest function as a plain async function: API Gateway event (REST v1 or HTTP API v2) in,
 * proxy result out. Every answer carries the correlation id; nothing a client sends can make it
 * throw.
 */
export function createIngestApp(options: IngestAppOptions): IngestApp {
  const withStart = { ...options, startedAt: options.startedAt ?? Date.now() };
  return serveHttp((request, correlationId) => route(request, correlationId, withStart));
}

import { randomUUID } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Delivery } from '../delivery/types';
import type { SinkProvider } from '../delivery/sync';
import type { GatewayState, GatewayStateLoader } from '../gateway/state';
import type { ApiGatewayEvent } from '../http/request';
import { normalizeRequest, type HttpRequest } from '../http/request';
import { errorResponse, json, text, type HttpResponse } from '../http/response';
import { logger } from '../observability/logger';
import type { SinkName } from '../sinks/types';
import { correlationIdOf } from './correlation';
import { docsAsset, docsPage } from './docs';
import { health } from './health';
import { postEvents } from './post-events';
import { matchRoute } from './routes';
import { terminate } from './terminate';

export interface IngestAppOptions {
  state: GatewayStateLoader;
  /** Writes for sync topics, enqueues for async topics. */
  deliveries: { sync: Delivery; async: Delivery };
  sinks: SinkProvider;
  sqs: SQSClient;
  queueUrls: Partial<Record<SinkName, string>>;
  startedAt?: number;
}

export type IngestApp = (event: ApiGatewayEvent) => Promise<HttpResponse>;

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
  switch (match.path) {
    case '/api':
      return text(200, state.apiSpec, 'application/yaml');
    case '/docs':
      return docsPage();
    case '/docs/{asset}':
      return (
        (await docsAsset(match.params.asset ?? '')) ??
        errorResponse(404, { type: 'route', message: 'Resource not found' })
      );
    case '/token': {
      const location = state.config.token_provider_url;
      if (!location) return errorResponse(404, { type: 'route', message: 'No token provider is configured' });
      return { statusCode: 303, headers: { Location: location }, body: '' };
    }
    case '/health':
      return health(state, {
        sqs: options.sqs,
        queueUrls: options.queueUrls,
        sinks: options.sinks,
        startedAt: options.startedAt ?? Date.now(),
      });
    case '/topics':
      return json(200, state.topics.names());
    case '/topics/{topic}': {
      const name = match.params.topic ?? '';
      if (match.method === 'POST') {
        return postEvents(request, name, { state, correlationId, deliveries: options.deliveries });
      }
      const topic = state.topics.get(name);
      if (!topic)
        return errorResponse(404, { type: 'topic', message: `Topic '${name.toLowerCase()}' not found` });
      // The body stays the bare schema, as clients of the Python gateway expect; the rest is in headers.
      return json(200, topic.schema, {
        'X-EventGate-Topic': topic.name,
        'X-EventGate-Topic-Mode': topic.mode,
        'X-EventGate-Topic-Sinks': topic.sinks.join(','),
      });
    }
  }
}

/**
 * The ingest function as a plain async function: API Gateway event (REST v1 or HTTP API v2) in,
 * proxy result out. Every answer carries the correlation id; nothing a client sends can make it
 * throw.
 */
export function createIngestApp(options: IngestAppOptions): IngestApp {
  const startedAt = options.startedAt ?? Date.now();
  const withStart = { ...options, startedAt };
  return async (event) => {
    let request: HttpRequest;
    try {
      request = normalizeRequest(event);
    } catch {
      return errorResponse(
        400,
        { type: 'request', message: 'Malformed request' },
        { 'X-Correlation-ID': randomUUID() },
      );
    }
    const correlationId = correlationIdOf(request);
    const where = { correlationId, path: request.path, method: request.method };
    let response: HttpResponse;
    try {
      response = await route(request, correlationId, withStart);
    } catch (error) {
      logger.error('request failed', { ...where, error });
      response = errorResponse(500, { type: 'internal', message: 'Unexpected server error' });
    }
    if (response.statusCode >= 400)
      logger.info('request rejected', { ...where, status: response.statusCode });
    if (request.method === 'HEAD') response.body = '';
    response.headers['X-Correlation-ID'] = correlationId;
    return response;
  };
}

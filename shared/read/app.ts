import { verifiedCaller } from '../auth/caller';
import { mayRead } from '../auth/read-access';
import type { GatewayStateLoader } from '../gateway/state';
import type { HttpRequest } from '../http/request';
import { serveHttp, type HttpFunction } from '../http/serve';
import { errorResponse, json, type HttpResponse } from '../http/response';
import { logger } from '../observability/logger';
import type { SinkName } from '../sinks/types';
import type { Topic } from '../topics/registry';
import { BadReadRequest, parseInstant, parseLimit } from './params';
import { matchReadRoute } from './routes';
import { parseStatsRequest, statsPage } from './stats';
import { StoreUnavailable, type EventStore } from './store';

/** The store for the current configuration; undefined when the sink that serves reads is not configured. */
export type EventStoreProvider = () => Promise<EventStore | undefined>;

export interface ReadAppOptions {
  state: GatewayStateLoader;
  store: EventStoreProvider;
  /** The sink that stored what the store reads: an event found there was delivered to it. */
  storedBy: SinkName;
  now?: () => number;
}

export type ReadApp = HttpFunction;

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

async function requireStore(provider: EventStoreProvider, storedBy: SinkName): Promise<EventStore> {
  const store = await provider();
  if (!store)
    throw new StoreUnavailable(`the ${storedBy} sink is not configured, so there is nothing to read`);
  return store;
}

async function readEvent(
  store: EventStore,
  storedBy: SinkName,
  topic: Topic,
  eventId: string,
): Promise<HttpResponse> {
  if (!UUID.test(eventId)) {
    return errorResponse(400, { type: 'validation', message: `'${eventId}' is not an event id (a UUID)` });
  }
  const event = await store.event(topic.name, eventId.toLowerCase());
  if (!event) {
    return errorResponse(404, {
      type: 'event',
      message: `Event '${eventId}' not found in topic '${topic.name}'`,
    });
  }
  return json(200, {
    success: true,
    statusCode: 200,
    event,
    // Only the sink read here keeps what it delivered; the others are listed as the topic's routes.
    deliveries: [{ sink: storedBy, status: 'delivered', at: event.storedAt }],
    sinks: topic.sinks,
  });
}

async function listEvents(
  store: EventStore,
  topic: Topic,
  query: Record<string, string>,
): Promise<HttpResponse> {
  const limit = parseLimit(query.limit);
  const page = await store.events(topic.name, {
    since: parseInstant(query.since, 'since'),
    until: parseInstant(query.until, 'until'),
    cursor: query.cursor === undefined || query.cursor === '' ? undefined : query.cursor,
    limit,
  });
  return json(200, {
    success: true,
    statusCode: 200,
    data: page.rows,
    pagination: { cursor: page.cursor, has_more: page.hasMore, limit },
  });
}

async function stats(
  store: EventStore,
  topic: Topic,
  request: HttpRequest,
  now: number,
): Promise<HttpResponse> {
  const supported = store.statsTopics();
  if (!supported.includes(topic.name)) {
    const list = supported.length > 0 ? supported.map((name) => `'${name}'`).join(', ') : 'none configured';
    return errorResponse(400, {
      type: 'validation',
      message: `Stats are only supported for topics ${list}.`,
    });
  }
  const page = await statsPage(store, topic.name, parseStatsRequest(request.body, now));
  return json(200, { success: true, statusCode: 200, ...page });
}

async function route(request: HttpRequest, options: ReadAppOptions): Promise<HttpResponse> {
  const match = matchReadRoute(request.method, request.path);
  if (match.kind === 'not-found') return errorResponse(404, { type: 'route', message: 'Resource not found' });
  if (match.kind === 'method-not-allowed') {
    const allow = match.allow.join(', ');
    return errorResponse(
      405,
      { type: 'method', message: `Method ${request.method} is not allowed here; use ${allow}` },
      { Allow: allow },
    );
  }
  const state = await options.state.current();
  const caller = await verifiedCaller(request, state.verifier);
  if (!caller) return errorResponse(401, { type: 'auth', message: 'Invalid or missing token' });
  const name = match.params.topic ?? '';
  const topic = state.topics.get(name);
  if (!topic)
    return errorResponse(404, { type: 'topic', message: `Topic '${name.toLowerCase()}' not found` });
  const decision = mayRead(state.access, topic.name, caller.subject);
  if (!decision.allowed) return errorResponse(403, { type: 'auth', message: decision.message });

  try {
    const store = await requireStore(options.store, options.storedBy);
    switch (match.path) {
      case '/topics/{topic}/events/{eventId}':
        return await readEvent(store, options.storedBy, topic, match.params.eventId ?? '');
      case '/topics/{topic}/events':
        return await listEvents(store, topic, request.query);
      case '/stats/{topic}':
        return await stats(store, topic, request, (options.now ?? Date.now)());
    }
  } catch (error) {
    if (error instanceof BadReadRequest)
      return errorResponse(400, { type: 'validation', message: error.message });
    if (error instanceof StoreUnavailable) {
      logger.warn('read failed: event store unavailable', { reason: error.message });
      return errorResponse(503, {
        type: 'database',
        message: 'The event store is unavailable; try again later',
      });
    }
    throw error;
  }
}

/**
 * The read function: events of a topic back from the store of the sink that serves reads, for
 * subjects the access map lets read the topic. Nothing a client sends makes it throw; a store that
 * cannot answer is a 503.
 */
export function createReadApp(options: ReadAppOptions): ReadApp {
  return serveHttp((request) => route(request, options));
}

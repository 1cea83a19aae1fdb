import { createRouter, type RouteMatch } from '../http/router';

/** The read API's routes, in OpenAPI path syntax; conf/api.yaml documents them with the ingest routes. */
export const READ_ROUTES = [
  { path: '/topics/{topic}/events', methods: ['GET'] },
  { path: '/topics/{topic}/events/{eventId}', methods: ['GET'] },
  { path: '/stats/{topic}', methods: ['POST'] },
] as const;

export type ReadRoutePath = (typeof READ_ROUTES)[number]['path'];

export type ReadRouteMatch = RouteMatch<ReadRoutePath>;

export const matchReadRoute = createRouter<ReadRoutePath>(READ_ROUTES);

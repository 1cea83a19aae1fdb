import { createRouter, type RouteMatch as GenericRouteMatch } from '../http/router';

/**
 * The gateway's routes, in OpenAPI path syntax; conf/api.yaml documents exactly these. Routes with
 * OPTIONS are the ones pages on other origins may call, under the configured CORS policy.
 */
export const ROUTES = [
  { path: '/api', methods: ['GET', 'OPTIONS'] },
  { path: '/docs', methods: ['GET'] },
  { path: '/docs/{asset}', methods: ['GET'] },
  { path: '/token', methods: ['GET', 'POST'] },
  { path: '/.well-known/jwks.json', methods: ['GET'] },
  { path: '/health', methods: ['GET', 'OPTIONS'] },
  { path: '/topics', methods: ['GET', 'OPTIONS'] },
  { path: '/topics/{topic}', methods: ['GET', 'POST', 'OPTIONS'] },
  { path: '/topics/{topic}/versions', methods: ['GET'] },
  { path: '/topics/{topic}/versions/{version}', methods: ['GET'] },
  { path: '/terminate', methods: ['POST'] },
] as const;

export type RoutePath = (typeof ROUTES)[number]['path'];

export type RouteMatch = GenericRouteMatch<RoutePath>;

export const matchRoute = createRouter<RoutePath>(ROUTES);

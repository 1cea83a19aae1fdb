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

export type RouteMatch =
  | {
      kind: 'found';
      path: RoutePath;
      method: string;
      params: Record<string, string>;
      /** Every method the route serves. */
      allow: readonly string[];
    }
  | { kind: 'method-not-allowed'; allow: readonly string[] }
  | { kind: 'not-found' };

const compiled = ROUTES.map((route) => {
  const names: string[] = [];
  const source = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, names, pattern: new RegExp(`^${source}/?$`) };
});

export function matchRoute(method: string, path: string): RouteMatch {
  for (const { route, names, pattern } of compiled) {
    const match = pattern.exec(path);
    if (!match) continue;
    const allowed: readonly string[] = route.methods;
    // HEAD is answered like GET by every well-behaved HTTP server.
    const effective = method === 'HEAD' && allowed.includes('GET') ? 'GET' : method;
    if (!allowed.includes(effective)) return { kind: 'method-not-allowed', allow: allowed };
    const params: Record<string, string> = {};
    names.forEach((name, index) => {
      let value = match[index + 1] as string;
      try {
        value = decodeURIComponent(value);
      } catch {
        // Keep the raw segment; it will not name a known topic or asset.
      }
      params[name] = value;
    });
    return { kind: 'found', path: route.path, method: effective, params, allow: allowed };
  }
  return { kind: 'not-found' };
}

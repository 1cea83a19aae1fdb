/** The read API's routes, in OpenAPI path syntax; conf/api.yaml documents them with the ingest routes. */
export const READ_ROUTES = [
  { path: '/topics/{topic}/events', methods: ['GET'] },
  { path: '/topics/{topic}/events/{eventId}', methods: ['GET'] },
  { path: '/stats/{topic}', methods: ['POST'] },
] as const;

export type ReadRoutePath = (typeof READ_ROUTES)[number]['path'];

export type ReadRouteMatch =
  | { kind: 'found'; path: ReadRoutePath; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: readonly string[] }
  | { kind: 'not-found' };

const compiled = READ_ROUTES.map((route) => {
  const names: string[] = [];
  const source = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, names, pattern: new RegExp(`^${source}/?$`) };
});

export function matchReadRoute(method: string, path: string): ReadRouteMatch {
  for (const { route, names, pattern } of compiled) {
    const match = pattern.exec(path);
    if (!match) continue;
    const allowed: readonly string[] = route.methods;
    const effective = method === 'HEAD' && allowed.includes('GET') ? 'GET' : method;
    if (!allowed.includes(effective)) return { kind: 'method-not-allowed', allow: allowed };
    const params: Record<string, string> = {};
    names.forEach((name, index) => {
      const raw = match[index + 1] as string;
      try {
        params[name] = decodeURIComponent(raw);
      } catch {
        params[name] = raw;
      }
    });
    return { kind: 'found', path: route.path, params };
  }
  return { kind: 'not-found' };
}

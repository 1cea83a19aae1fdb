/**
 * The YAML parser and writer, in a module of its own: only `GET /api` needs them, so the deploy
 * bundles them as a separate file that a cold start never loads (see
 * shared/deploy/bundling/lazy-modules.ts).
 */
export { parse, stringify } from 'yaml';

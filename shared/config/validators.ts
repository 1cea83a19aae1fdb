import Ajv2020, { type Options, type ValidateFunction } from 'ajv/dist/2020';
import type { SinkCatalog } from '../sinks/catalog';
import { configSchema } from './schema';

/** `eventgate validate` rejects keys it does not know; loading ignores them (see ./schema.ts). */
export type UnknownKeys = 'reject' | 'ignore';

/**
 * How config.json is checked. `useDefaults` writes every missing default into the checked document:
 * what passes is complete. The deploy's code generator compiles with the same options.
 */
export const CONFIG_AJV_OPTIONS: Options = {
  allErrors: true,
  useDefaults: true,
  strict: false,
  validateSchema: false,
};

let ajv: Ajv2020 | undefined;
const compiled = new WeakMap<SinkCatalog, Map<UnknownKeys, ValidateFunction>>();

/**
 * The check of config.json for a catalog of sinks, compiled on first use. The Lambda bundles get
 * this module in its compiled form instead, generated when they are built, so they neither carry
 * ajv's compiler for it nor compile at cold start (see shared/deploy/bundling/config-validator.ts).
 */
export function configValidator(catalog: SinkCatalog, unknownKeys: UnknownKeys): ValidateFunction {
  let byMode = compiled.get(catalog);
  if (!byMode) {
    byMode = new Map();
    compiled.set(catalog, byMode);
  }
  let validate = byMode.get(unknownKeys);
  if (!validate) {
    ajv ??= new Ajv2020(CONFIG_AJV_OPTIONS);
    validate = ajv.compile(configSchema(catalog, unknownKeys));
    byMode.set(unknownKeys, validate);
  }
  return validate;
}

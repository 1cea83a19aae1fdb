import type { ErrorObject } from 'ajv/dist/2020';
import { sinkCatalog, type SinkCatalog } from '../sinks/catalog';
import { ConfigValidationError, type ConfigProblem } from './errors';
import type { GatewayConfig } from './settings';
import { configValidator, type UnknownKeys } from './validators';

function describe(error: ErrorObject): ConfigProblem {
  const where = error.instancePath === '' ? 'config' : error.instancePath;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      return { pointer: error.instancePath, key, message: `${where} has unknown key "${key}"` };
    }
    case 'required': {
      const key = String(params.missingProperty);
      return { pointer: error.instancePath, message: `${where} must have "${key}"` };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ');
      return { pointer: error.instancePath, message: `${where} must be one of ${allowed}` };
    }
    default:
      return { pointer: error.instancePath, message: `${where} ${error.message ?? 'is invalid'}` };
  }
}

/**
 * Checks a configuration document against the schema and fills in every default. Returns the
 * completed copy (the input is left as it was) and every problem found; `oneOf` failures repeat
 * for each branch in ajv's output and are reported once.
 */
export function checkConfig(
  document: unknown,
  options: { catalog?: SinkCatalog; unknownKeys?: UnknownKeys } = {},
): { config: Record<string, unknown>; problems: ConfigProblem[] } {
  const validate = configValidator(options.catalog ?? sinkCatalog, options.unknownKeys ?? 'ignore');
  const config = structuredClone(document) as Record<string, unknown>;
  if (validate(config)) return { config, problems: [] };
  const problems = new Map<string, ConfigProblem>();
  for (const error of validate.errors ?? []) {
    // A oneOf's verdict comes with each branch's own complaint: the branches say more.
    if (error.keyword === 'oneOf') continue;
    const problem = describe(error);
    problems.set(`${problem.pointer}\u0000${problem.message}`, problem);
  }
  return { config, problems: [...problems.values()] };
}

/**
 * config.json parsed once into the configuration every part of the gateway reads: checked against
 * the schema of the gateway and of every sink, with every default filled in.
 */
export function parseConfig(
  document: unknown,
  source: string,
  catalog: SinkCatalog = sinkCatalog,
): GatewayConfig {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new ConfigValidationError(source, [{ pointer: '', message: 'must hold a JSON object' }]);
  }
  const { config, problems } = checkConfig(document, { catalog });
  if (problems.length > 0) throw new ConfigValidationError(source, problems);
  if (config.token_public_keys_url === undefined && config.token_public_key_url !== undefined) {
    config.token_public_keys_url = config.token_public_key_url;
  }
  return config as unknown as GatewayConfig;
}

import Ajv, { type AnySchemaObject, type ErrorObject, type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import secureMetaSchema from 'ajv/lib/refs/json-schema-secure.json';
import { ConfigError, ConfigValidationError } from '../config/errors';
import { describeError } from '../errors/describe';

/** One reason an event does not match its topic's schema, with where in the event it applies. */
export type SchemaViolation = {
  type: 'validation';
  message: string;
  instancePath: string;
  keyword: string;
};

export type EventValidator = (event: unknown) => SchemaViolation[];

function configured<T extends Ajv>(ajv: T): T {
  addFormats(ajv);
  return ajv;
}

// Two engines because topic schemas in the wild declare either dialect; both report every error
// and enforce `format`. `strict: false` lets ordinary annotations from other tools through.
const draft2020 = configured(new Ajv2020({ allErrors: true, strict: false, validateFormats: true }));
const draft07 = configured(new Ajv({ allErrors: true, strict: false, validateFormats: true }));
const isSecure = new Ajv({ strict: false, allErrors: true }).compile(secureMetaSchema);

function engineFor(schema: AnySchemaObject): Ajv {
  const dialect = typeof schema.$schema === 'string' ? schema.$schema : '';
  return /draft-0[467]/.test(dialect) ? draft07 : draft2020;
}

function describe(error: ErrorObject): SchemaViolation {
  const where = error.instancePath === '' ? 'event' : error.instancePath;
  let detail = error.message ?? 'is invalid';
  if (error.keyword === 'enum' && Array.isArray(error.params.allowedValues)) {
    detail += `: ${error.params.allowedValues.map((value: unknown) => JSON.stringify(value)).join(', ')}`;
  } else if (error.keyword === 'additionalProperties') {
    detail += ` '${String(error.params.additionalProperty)}'`;
  }
  return {
    type: 'validation',
    message: `${where} ${detail}`,
    instancePath: error.instancePath,
    keyword: error.keyword,
  };
}

/**
 * Compiles a topic schema once. A schema that does not compile, or that the secure meta-schema
 * flags as open to denial of service (unbounded patterns, uniqueItems without maxItems…), is a
 * configuration error: it must never reach the request path.
 */
export function compileSchema(schema: unknown, source: string): EventValidator {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new ConfigError(`${source}: a topic schema must be a JSON object`);
  }
  if (!isSecure(schema)) {
    const problems = (isSecure.errors ?? []).map((error) => ({
      pointer: error.instancePath,
      message: `schema is not safe to evaluate: ${error.instancePath || '/'} ${error.message}`,
    }));
    throw new ConfigValidationError(source, problems);
  }
  const ajvSchema = schema as AnySchemaObject;
  let validate: ValidateFunction;
  try {
    // Never register the schema under its $id: two topics may share an id and reloads recompile.
    const { $id: _id, ...withoutId } = ajvSchema;
    validate = engineFor(ajvSchema).compile(withoutId);
  } catch (error) {
    throw new ConfigError(`${source}: schema does not compile: ${describeError(error)}`);
  }
  return (event) => (validate(event) ? [] : (validate.errors ?? []).map(describe));
}

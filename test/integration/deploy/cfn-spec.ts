import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { SpecDatabase } from '@aws-cdk/service-spec-types';
import type { Template } from './package-service';

/**
 * Checks a CloudFormation template against AWS's resource specification (the database the AWS CDK
 * generates its constructs from): every resource type exists, every property is known and of the
 * right shape, every required property is there, and every Fn::GetAtt names a real attribute.
 * Intrinsic functions stand for values only known at deploy time and are accepted wherever a value
 * is. Returns one line per problem, `LogicalId.Path: what is wrong`.
 */

type SpecType = { type: string; reference?: { $ref: string }; element?: SpecType; inner?: SpecType[] };
interface SpecProperty {
  type: SpecType;
  previousTypes?: SpecType[];
  required?: boolean;
}
type SpecProperties = Record<string, SpecProperty>;

let database: SpecDatabase | undefined;
function spec(): SpecDatabase {
  database ??= loadAwsServiceSpecSync();
  return database;
}

function isIntrinsic(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || (keys[0] as string).startsWith('Fn::'));
}

function typeProperties(reference: string): SpecProperties {
  return (spec().get('typeDefinition', reference) as unknown as { properties: SpecProperties }).properties;
}

/** The problems of `value` against one spec type; empty when it fits. */
function check(value: unknown, type: SpecType, path: string): string[] {
  if (isIntrinsic(value)) return [];
  switch (type.type) {
    case 'string':
    case 'date-time':
      return typeof value === 'string' ? [] : [`${path}: expected a string, got ${JSON.stringify(value)}`];
    case 'integer':
    case 'number':
      return typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))
        ? []
        : [`${path}: expected a number, got ${JSON.stringify(value)}`];
    case 'boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false'
        ? []
        : [`${path}: expected a boolean, got ${JSON.stringify(value)}`];
    case 'json':
      return [];
    case 'array':
      if (!Array.isArray(value)) return [`${path}: expected a list, got ${JSON.stringify(value)}`];
      return value.flatMap((item, index) => check(item, type.element as SpecType, `${path}[${index}]`));
    case 'map':
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return [`${path}: expected a map, got ${JSON.stringify(value)}`];
      return Object.entries(value).flatMap(([key, item]) =>
        check(item, type.element as SpecType, `${path}.${key}`),
      );
    case 'ref':
      return checkObject(value, typeProperties(type.reference?.$ref as string), path);
    case 'union': {
      const fits = (type.inner ?? []).some((inner) => check(value, inner, path).length === 0);
      return fits ? [] : [`${path}: ${JSON.stringify(value)} fits none of its allowed types`];
    }
    default:
      return [];
  }
}

function fitsAny(value: unknown, property: SpecProperty, path: string): string[] {
  const problems = check(value, property.type, path);
  if (problems.length === 0) return [];
  // A property whose type changed over time still accepts its earlier shape.
  if ((property.previousTypes ?? []).some((type) => check(value, type, path).length === 0)) return [];
  return problems;
}

function checkObject(value: unknown, properties: SpecProperties, path: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return [`${path}: expected an object, got ${JSON.stringify(value)}`];
  const problems: string[] = [];
  const given = value as Record<string, unknown>;
  for (const [name, item] of Object.entries(given)) {
    const property = properties[name];
    if (!property) problems.push(`${path}.${name}: no such property`);
    else problems.push(...fitsAny(item, property, `${path}.${name}`));
  }
  for (const [name, property] of Object.entries(properties)) {
    if (property.required && !(name in given)) problems.push(`${path}.${name}: required but missing`);
  }
  return problems;
}

interface SpecResource {
  properties: SpecProperties;
  attributes: Record<string, unknown>;
}

function resourceSpec(type: string): SpecResource | undefined {
  const found = spec().lookup('resource', 'cloudFormationType', 'equals', type);
  return found.length === 1 ? (found[0] as unknown as SpecResource) : undefined;
}

function getAtts(value: unknown, found: Array<[string, string]> = []): Array<[string, string]> {
  if (Array.isArray(value)) for (const item of value) getAtts(item, found);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'Fn::GetAtt') {
        const [id, attribute] = Array.isArray(item) ? item : String(item).split(/\.(.*)/);
        found.push([String(id), String(attribute)]);
      } else getAtts(item, found);
    }
  }
  return found;
}

export function templateProblems(template: Template): string[] {
  const problems: string[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type.startsWith('Custom::')) continue;
    const definition = resourceSpec(resource.Type);
    if (!definition) {
      problems.push(`${logicalId}: unknown resource type ${resource.Type}`);
      continue;
    }
    problems.push(...checkObject(resource.Properties ?? {}, definition.properties, logicalId));
  }
  for (const [logicalId, attribute] of getAtts(template)) {
    const target = template.Resources[logicalId];
    if (!target) {
      problems.push(`Fn::GetAtt ${logicalId}.${attribute}: no such resource`);
      continue;
    }
    const definition = resourceSpec(target.Type);
    if (definition && !(attribute in definition.attributes)) {
      problems.push(`Fn::GetAtt ${logicalId}.${attribute}: ${target.Type} has no attribute ${attribute}`);
    }
  }
  return problems;
}

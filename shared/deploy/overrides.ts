import type { CfnResources, Json } from './cloudformation';
import { DeployParameterError } from './errors';

/**
 * Raw CloudFormation changes an operator asks for under `custom.eventgate.overrides` in
 * serverless.yml: logical id → the parts of the resource to change, e.g.
 * `PostgresQueue: { Properties: { MessageRetentionPeriod: 1209600 } }`. Objects merge key by key,
 * anything else replaces, and `null` removes a key. The escape hatch for what the parameters do not
 * cover, in the spirit of serverless-lift's `extensions`.
 */
export type ResourceOverrides = Record<string, Record<string, Json>>;

const OVERRIDABLE_KEYS = new Set([
  'Properties',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'DependsOn',
  'Condition',
]);

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function merge(base: Json | undefined, change: Json): Json | undefined {
  if (change === null) return undefined;
  if (!isObject(base) || !isObject(change)) return change;
  const merged: Record<string, Json> = { ...base };
  for (const [key, value] of Object.entries(change)) {
    const next = merge(merged[key], value);
    if (next === undefined) delete merged[key];
    else merged[key] = next;
  }
  return merged;
}

/** Checks the shape of `custom.eventgate.overrides`; undefined or null means none. */
export function parseOverrides(raw: unknown): ResourceOverrides {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw))
    throw new DeployParameterError('custom.eventgate.overrides must map logical ids to changes');
  for (const [logicalId, change] of Object.entries(raw)) {
    if (!isObject(change))
      throw new DeployParameterError(`custom.eventgate.overrides.${logicalId} must be an object`);
    const unknown = Object.keys(change).filter((key) => !OVERRIDABLE_KEYS.has(key));
    if (unknown.length > 0) {
      throw new DeployParameterError(
        `custom.eventgate.overrides.${logicalId} may change ${[...OVERRIDABLE_KEYS].join(', ')}, not ${unknown.join(', ')}`,
      );
    }
  }
  return raw as ResourceOverrides;
}

/**
 * Applies the overrides: to the resources EventGate generates directly, and through Serverless'
 * `extensions` to the ones Serverless generates itself (functions, log groups, the HTTP API).
 */
export function applyOverrides(
  resources: CfnResources,
  extensions: Record<string, { Properties: Record<string, Json> }>,
  overrides: ResourceOverrides,
): void {
  for (const [logicalId, change] of Object.entries(overrides)) {
    const own = resources[logicalId];
    if (own) {
      resources[logicalId] = merge(own as unknown as Json, change) as unknown as (typeof resources)[string];
      continue;
    }
    if (Object.keys(change).some((key) => key !== 'Properties')) {
      throw new DeployParameterError(
        `custom.eventgate.overrides.${logicalId}: only Properties can be changed on a resource Serverless generates`,
      );
    }
    const merged = merge(extensions[logicalId] as unknown as Json, change) as {
      Properties: Record<string, Json>;
    };
    extensions[logicalId] = merged;
  }
}

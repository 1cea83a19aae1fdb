import { ConfigError } from '../config/errors';

/**
 * How a new schema version must relate to the versions still live:
 * - `backward`: the new version accepts every event the older ones accept (a producer that has not
 *   moved on keeps being accepted, and a consumer reading with the new schema reads old events);
 * - `forward`: the older versions accept every event the new one accepts (consumers on an old
 *   schema read new events);
 * - `full`: both; `none`: no check.
 */
export type CompatibilityMode = 'backward' | 'forward' | 'full' | 'none';

export const COMPATIBILITY_MODES: readonly CompatibilityMode[] = ['backward', 'forward', 'full', 'none'];

/** Backward is the default: publishing a version must never start refusing a producer's events. */
export const DEFAULT_COMPATIBILITY: CompatibilityMode = 'backward';

export function compatibilityModeOf(topic: string, value: unknown): CompatibilityMode {
  if (value === undefined) return DEFAULT_COMPATIBILITY;
  if (typeof value === 'string' && (COMPATIBILITY_MODES as readonly string[]).includes(value)) {
    return value as CompatibilityMode;
  }
  throw new ConfigError(
    `config.json: topic "${topic}" has compatibility "${String(value)}" (expected ${COMPATIBILITY_MODES.join(', ')})`,
  );
}

/**
 * What a change does to the set of events a schema accepts: `narrows` (some event valid before is
 * refused now), `widens` (some event refused before is valid now), or `both`.
 */
export type ChangeEffect = 'narrows' | 'widens' | 'both';

export interface SchemaChange {
  /** JSON pointer to the keyword in the schema (the new one, or the old one for a removal). */
  pointer: string;
  rule: string;
  effect: ChangeEffect;
  message: string;
}

type SchemaObject = Record<string, unknown>;

// Keywords not named below (title, description, examples, default, $comment, vendor extensions…)
// describe rather than constrain, so changing them is always compatible.

/**
 * Constraining keywords the structural rules do not reason about. A change to any of them is
 * reported as incompatible in both directions: refusing to judge is safer than a wrong "compatible".
 */
const OPAQUE = [
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
  'dependentSchemas',
  'dependentRequired',
  'dependencies',
  'patternProperties',
  'propertyNames',
  'contains',
  'minContains',
  'maxContains',
  'prefixItems',
  'additionalItems',
  'unevaluatedProperties',
  'unevaluatedItems',
  '$dynamicRef',
  '$recursiveRef',
] as const;

/** Lower bounds: raising one narrows. */
const LOWER_BOUNDS = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'] as const;
/** Upper bounds: lowering one narrows. */
const UPPER_BOUNDS = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'] as const;

/** Keywords that constrain values of some types only, and those types. */
const TYPE_SPECIFIC: Record<string, string[]> = {
  minLength: ['string'],
  maxLength: ['string'],
  pattern: ['string'],
  format: ['string'],
  minimum: ['number'],
  maximum: ['number'],
  exclusiveMinimum: ['number'],
  exclusiveMaximum: ['number'],
  multipleOf: ['number'],
  minItems: ['array'],
  maxItems: ['array'],
  uniqueItems: ['array'],
  minProperties: ['object'],
  maxProperties: ['object'],
};

const ALL_TYPES = ['null', 'boolean', 'object', 'array', 'number', 'integer', 'string'];

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `true`/absent is the schema that accepts anything; `false` accepts nothing. */
function asSchema(value: unknown): SchemaObject | false {
  if (value === false) return false;
  return isObject(value) ? value : {};
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function typesOf(schema: SchemaObject): string[] | null {
  const type = schema.type;
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) return type.filter((entry): entry is string => typeof entry === 'string');
  return null;
}

/** Whether a value of `type` is accepted by a schema allowing `allowed` (integer is a number). */
function covered(type: string, allowed: string[]): boolean {
  return allowed.includes(type) || (type === 'integer' && allowed.includes('number'));
}

function enumOf(schema: SchemaObject): unknown[] | null {
  if ('const' in schema) return [schema.const];
  return Array.isArray(schema.enum) ? schema.enum : null;
}

function numberAt(schema: SchemaObject, keyword: string): number | null {
  const value = schema[keyword];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

class SchemaDiff {
  readonly changes: SchemaChange[] = [];

  private add(pointer: string, rule: string, effect: ChangeEffect, message: string): void {
    this.changes.push({ pointer: pointer === '' ? '/' : pointer, rule, effect, message });
  }

  compare(before: unknown, after: unknown, at: string): void {
    const old = asSchema(before);
    const next = asSchema(after);
    if (old === false || next === false) {
      if (old === false && next !== false)
        this.add(at, 'schema-opened', 'widens', 'a schema that accepted nothing now accepts values');
      if (next === false && old !== false)
        this.add(at, 'schema-closed', 'narrows', 'the schema now accepts nothing here');
      return;
    }
    const firstChange = this.changes.length;
    this.compareTypes(old, next, at);
    this.compareRequired(old, next, at);
    this.compareProperties(old, next, at);
    this.compareAdditionalProperties(old, next, at);
    this.compareEnum(old, next, at);
    this.compareFormat(old, next, at);
    this.comparePattern(old, next, at);
    this.compareBounds(old, next, at);
    this.compareMultipleOf(old, next, at);
    this.compareUniqueItems(old, next, at);
    this.compareItems(old, next, at);
    this.compareDefinitions(old, next, at);
    this.compareOpaque(old, next, at);
    this.dropMootChanges(firstChange, old, next, at);
  }

  /**
   * A keyword that only constrains values of some types cannot refuse an old event if the old
   * schema accepted no value of those types (adding `maxLength` while widening a number to a
   * string refuses nothing old), nor accept a new one if the new schema accepts none of them.
   */
  private dropMootChanges(from: number, old: SchemaObject, next: SchemaObject, at: string): void {
    const before = typesOf(old) ?? ALL_TYPES;
    const after = typesOf(next) ?? ALL_TYPES;
    const kept = this.changes.slice(from).filter((change) => {
      const keyword = change.pointer.slice(at.length + 1);
      const family = TYPE_SPECIFIC[keyword];
      if (family === undefined) return true;
      const relevant = (types: string[]): boolean =>
        types.some((type) => family.some((own) => covered(own, [type]) || covered(type, [own])));
      if (change.effect === 'narrows') return relevant(before);
      if (change.effect === 'widens') return relevant(after);
      return relevant(before) || relevant(after);
    });
    this.changes.splice(from, this.changes.length - from, ...kept);
  }

  private compareTypes(old: SchemaObject, next: SchemaObject, at: string): void {
    const before = typesOf(old) ?? ALL_TYPES;
    const after = typesOf(next) ?? ALL_TYPES;
    const removed = before.filter((type) => !covered(type, after));
    const added = after.filter((type) => !covered(type, before));
    // Adding `integer` next to `number` accepts nothing new.
    const reallyAdded = added.filter((type) => !(type === 'integer' && before.includes('number')));
    if (removed.length > 0) {
      this.add(`${at}/type`, 'type-narrowed', 'narrows', `type no longer accepts ${removed.join(', ')}`);
    }
    if (reallyAdded.length > 0) {
      this.add(`${at}/type`, 'type-widened', 'widens', `type now also accepts ${reallyAdded.join(', ')}`);
    }
  }

  private compareRequired(old: SchemaObject, next: SchemaObject, at: string): void {
    const before = Array.isArray(old.required) ? (old.required as unknown[]).map(String) : [];
    const after = Array.isArray(next.required) ? (next.required as unknown[]).map(String) : [];
    for (const name of after.filter((field) => !before.includes(field))) {
      this.add(`${at}/required`, 'required-added', 'narrows', `'${name}' is now required`);
    }
    for (const name of before.filter((field) => !after.includes(field))) {
      this.add(`${at}/required`, 'required-removed', 'widens', `'${name}' is no longer required`);
    }
  }

  private compareProperties(old: SchemaObject, next: SchemaObject, at: string): void {
    const before = isObject(old.properties) ? old.properties : {};
    const after = isObject(next.properties) ? next.properties : {};
    for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const pointer = `${at}/properties/${escapePointer(name)}`;
      const inOld = name in before;
      const inNew = name in after;
      if (inOld && inNew) {
        this.compare(before[name], after[name], pointer);
      } else if (inOld) {
        // Removed: from now on the property is governed by additionalProperties.
        if (next.additionalProperties === false) {
          this.add(
            pointer,
            'property-removed-closed',
            'narrows',
            `property '${name}' was removed while additionalProperties is false: events carrying it are now refused`,
          );
        } else {
          this.compare(before[name], next.additionalProperties, pointer);
        }
      } else if (old.additionalProperties === false) {
        this.add(
          pointer,
          'property-added-closed',
          'widens',
          `property '${name}' was added where additionalProperties was false: the old schema refuses events carrying it`,
        );
      } else if (isObject(old.additionalProperties)) {
        // Unlisted properties met a schema before; now this one meets its own.
        this.compare(old.additionalProperties, after[name], pointer);
      } else if (diffSchemas({}, after[name]).length > 0) {
        // Added to an open object: the property was free before, and an event that already carried it
        // in another shape would now be refused.
        this.add(
          pointer,
          'property-added-open',
          'narrows',
          `property '${name}' was added to an object open to any property (additionalProperties is not false), so its values, free until now, are constrained`,
        );
      }
    }
  }

  private compareAdditionalProperties(old: SchemaObject, next: SchemaObject, at: string): void {
    const before = old.additionalProperties;
    const after = next.additionalProperties;
    if (canonical(before ?? true) === canonical(after ?? true)) return;
    const pointer = `${at}/additionalProperties`;
    if (after === false) {
      this.add(
        pointer,
        'additional-properties-closed',
        'narrows',
        'additionalProperties is now false: unlisted properties are refused',
      );
    } else if (before === false) {
      this.add(
        pointer,
        'additional-properties-opened',
        'widens',
        'additionalProperties is no longer false: unlisted properties are accepted',
      );
    } else {
      this.compare(before, after, pointer);
    }
  }

  private compareEnum(old: SchemaObject, next: SchemaObject, at: string): void {
    const before = enumOf(old);
    const after = enumOf(next);
    const pointer = `${at}/${'enum' in next || 'enum' in old ? 'enum' : 'const'}`;
    if (before === null && after === null) return;
    if (before === null) {
      this.add(pointer, 'enum-added', 'narrows', 'values are now limited to an enumeration');
      return;
    }
    if (after === null) {
      this.add(pointer, 'enum-removed', 'widens', 'values are no longer limited to an enumeration');
      return;
    }
    const beforeKeys = new Set(before.map(canonical));
    const afterKeys = new Set(after.map(canonical));
    const dropped = [...beforeKeys].filter((value) => !afterKeys.has(value));
    const gained = [...afterKeys].filter((value) => !beforeKeys.has(value));
    if (dropped.length > 0)
      this.add(pointer, 'enum-value-removed', 'narrows', `no longer accepts ${dropped.join(', ')}`);
    if (gained.length > 0)
      this.add(pointer, 'enum-value-added', 'widens', `now also accepts ${gained.join(', ')}`);
  }

  private compareFormat(old: SchemaObject, next: SchemaObject, at: string): void {
    const before = typeof old.format === 'string' ? old.format : null;
    const after = typeof next.format === 'string' ? next.format : null;
    if (before === after) return;
    if (before === null) this.add(`${at}/format`, 'format-added', 'narrows', `values must now be a ${after}`);
    else if (after === null)
      this.add(`${at}/format`, 'format-removed', 'widens', `values need no longer be a ${before}`);
    else this.add(`${at}/format`, 'format-changed', 'both', `format changed from ${before} to ${after}`);
  }

  private comparePattern(old: SchemaObject, next: SchemaObject, at: string): void {
    const before = typeof old.pattern === 'string' ? old.pattern : null;
    const after = typeof next.pattern === 'string' ? next.pattern : null;
    if (before === after) return;
    if (before === null)
      this.add(`${at}/pattern`, 'pattern-added', 'narrows', `values must now match ${after}`);
    else if (after === null)
      this.add(`${at}/pattern`, 'pattern-removed', 'widens', `values need no longer match ${before}`);
    else this.add(`${at}/pattern`, 'pattern-changed', 'both', `pattern changed from ${before} to ${after}`);
  }

  private compareBounds(old: SchemaObject, next: SchemaObject, at: string): void {
    const bounds: Array<[string, 'lower' | 'upper']> = [
      ...LOWER_BOUNDS.map((keyword): [string, 'lower'] => [keyword, 'lower']),
      ...UPPER_BOUNDS.map((keyword): [string, 'upper'] => [keyword, 'upper']),
    ];
    for (const [keyword, side] of bounds) {
      const before = numberAt(old, keyword);
      const after = numberAt(next, keyword);
      if (before === after) continue;
      const pointer = `${at}/${keyword}`;
      const tighter =
        before === null || (after !== null && (side === 'lower' ? after > before : after < before));
      if (after !== null && tighter) {
        this.add(
          pointer,
          'limit-tightened',
          'narrows',
          `${keyword} tightened from ${before ?? 'none'} to ${after}`,
        );
      } else {
        this.add(
          pointer,
          'limit-loosened',
          'widens',
          `${keyword} loosened from ${before} to ${after ?? 'none'}`,
        );
      }
    }
  }

  private compareMultipleOf(old: SchemaObject, next: SchemaObject, at: string): void {
    const before = numberAt(old, 'multipleOf');
    const after = numberAt(next, 'multipleOf');
    if (before === after) return;
    const pointer = `${at}/multipleOf`;
    if (before === null)
      this.add(pointer, 'multiple-of-added', 'narrows', `values must now be a multiple of ${after}`);
    else if (after === null)
      this.add(pointer, 'multiple-of-removed', 'widens', `values need no longer be a multiple of ${before}`);
    else if (before % after === 0)
      this.add(pointer, 'multiple-of-loosened', 'widens', `multipleOf loosened from ${before} to ${after}`);
    else if (after % before === 0)
      this.add(
        pointer,
        'multiple-of-tightened',
        'narrows',
        `multipleOf tightened from ${before} to ${after}`,
      );
    else this.add(pointer, 'multiple-of-changed', 'both', `multipleOf changed from ${before} to ${after}`);
  }

  private compareUniqueItems(old: SchemaObject, next: SchemaObject, at: string): void {
    const before = old.uniqueItems === true;
    const after = next.uniqueItems === true;
    if (before === after) return;
    if (after)
      this.add(`${at}/uniqueItems`, 'unique-items-added', 'narrows', 'array items must now be unique');
    else
      this.add(`${at}/uniqueItems`, 'unique-items-removed', 'widens', 'array items need no longer be unique');
  }

  private compareItems(old: SchemaObject, next: SchemaObject, at: string): void {
    const before = old.items;
    const after = next.items;
    if (Array.isArray(before) || Array.isArray(after)) {
      // Draft-07 tuples: compared position by position when both are tuples of the same length.
      if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
        before.forEach((item, index) => this.compare(item, after[index], `${at}/items/${index}`));
      } else if (canonical(before) !== canonical(after)) {
        this.add(
          `${at}/items`,
          'items-changed',
          'both',
          'tuple items changed in a way the comparison does not cover',
        );
      }
      return;
    }
    if (before === undefined && after === undefined) return;
    this.compare(before, after, `${at}/items`);
  }

  private compareDefinitions(old: SchemaObject, next: SchemaObject, at: string): void {
    for (const keyword of ['$defs', 'definitions']) {
      const before = isObject(old[keyword]) ? (old[keyword] as SchemaObject) : {};
      const after = isObject(next[keyword]) ? (next[keyword] as SchemaObject) : {};
      // A definition only matters where it is referenced, and a $ref change is caught on its own;
      // so definitions present in both are compared, added or removed ones are not.
      for (const name of Object.keys(before)) {
        if (name in after) this.compare(before[name], after[name], `${at}/${keyword}/${escapePointer(name)}`);
      }
    }
    if (canonical(old.$ref) !== canonical(next.$ref)) {
      this.add(
        `${at}/$ref`,
        'ref-changed',
        'both',
        `$ref changed from ${String(old.$ref)} to ${String(next.$ref)}`,
      );
    }
  }

  private compareOpaque(old: SchemaObject, next: SchemaObject, at: string): void {
    for (const keyword of OPAQUE) {
      if (canonical(old[keyword]) === canonical(next[keyword])) continue;
      this.add(
        `${at}/${keyword}`,
        'uncompared-keyword-changed',
        'both',
        `'${keyword}' changed; the structural comparison does not cover it, so the change counts as incompatible`,
      );
    }
  }
}

/** Every structural change from `before` to `after`, with its effect on the set of accepted events. */
export function diffSchemas(before: unknown, after: unknown): SchemaChange[] {
  const diff = new SchemaDiff();
  diff.compare(before, after, '');
  return diff.changes;
}

/** The changes a mode forbids: backward forbids narrowing, forward widening, full both, none nothing. */
export function breaksMode(mode: CompatibilityMode, change: SchemaChange): boolean {
  if (mode === 'none') return false;
  if (change.effect === 'both' || mode === 'full') return true;
  return mode === 'backward' ? change.effect === 'narrows' : change.effect === 'widens';
}

export function incompatibilities(mode: CompatibilityMode, before: unknown, after: unknown): SchemaChange[] {
  if (mode === 'none') return [];
  return diffSchemas(before, after).filter((change) => breaksMode(mode, change));
}

export interface VersionIncompatibility extends SchemaChange {
  /** The earlier version the later one breaks the mode with. */
  from: number;
  to: number;
}

/**
 * Checks every live version against every earlier live version (transitively: a producer pinned to
 * any live version must keep working). Retired versions take no part: retiring the versions a
 * breaking change would break is the way to make one.
 */
export function checkVersionChain(
  mode: CompatibilityMode,
  versions: ReadonlyArray<{ version: number; schema: unknown; retired: boolean }>,
): VersionIncompatibility[] {
  const live = versions.filter((version) => !version.retired).sort((a, b) => a.version - b.version);
  const found: VersionIncompatibility[] = [];
  live.forEach((later, index) => {
    for (const earlier of live.slice(0, index)) {
      for (const change of incompatibilities(mode, earlier.schema, later.schema)) {
        found.push({ ...change, from: earlier.version, to: later.version });
      }
    }
  });
  return found;
}

/** One line per incompatibility, for configuration errors and the CLI. */
export function describeIncompatibility(mode: CompatibilityMode, found: VersionIncompatibility): string {
  return `${found.pointer}: ${found.message} (version ${found.to} breaks ${mode} compatibility with version ${found.from})`;
}

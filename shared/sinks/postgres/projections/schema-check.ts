import type { CompiledColumn, CompiledProjections } from './compile';
import type { JsonPointer } from './pointer';

type JsonType = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';
const ALL_TYPES: readonly JsonType[] = ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'];

type Schema = boolean | Record<string, unknown>;

/** What a schema lets appear at a place: nothing, or values of some JSON types. */
type Produces = { reachable: false } | { reachable: true; types: ReadonlySet<JsonType> };

const NOTHING: Produces = { reachable: false };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeOfValue(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as JsonType;
}

function union(results: readonly Produces[]): Produces {
  const types = new Set<JsonType>();
  let reachable = false;
  for (const result of results) {
    if (!result.reachable) continue;
    reachable = true;
    result.types.forEach((type) => types.add(type));
  }
  return reachable ? { reachable, types } : NOTHING;
}

/**
 * Follows a schema's structure closely enough to tell whether a pointer can hold a value and of
 * which types: properties, patternProperties, additionalProperties, items, prefixItems, local $ref,
 * and the combinators (each branch counts as a possibility). It errs on the side of "possible".
 */
class SchemaWalker {
  constructor(readonly root: Schema) {}

  private resolve(schema: Schema, seen: Set<string>): Schema {
    if (!isRecord(schema) || typeof schema.$ref !== 'string') return schema;
    const ref = schema.$ref;
    if (!ref.startsWith('#') || seen.has(ref)) return true;
    seen.add(ref);
    let target: unknown = this.root;
    for (const token of ref
      .slice(1)
      .split('/')
      .filter((part) => part !== '')) {
      target = isRecord(target) ? target[token.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    }
    return target === undefined ? true : this.resolve(target as Schema, seen);
  }

  private branches(schema: Record<string, unknown>): Schema[] {
    const list: Schema[] = [];
    for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
      if (Array.isArray(schema[keyword])) list.push(...(schema[keyword] as Schema[]));
    }
    for (const keyword of ['then', 'else'])
      if (schema[keyword] !== undefined) list.push(schema[keyword] as Schema);
    return list;
  }

  /** The types a schema itself admits (ignoring its branches); all types when it says nothing. */
  private ownTypes(schema: Record<string, unknown>): Set<JsonType> {
    if (Array.isArray(schema.enum)) return new Set(schema.enum.map(typeOfValue));
    if ('const' in schema) return new Set([typeOfValue(schema.const)]);
    const declared = schema.type;
    if (declared === undefined) return new Set(ALL_TYPES);
    const list = (Array.isArray(declared) ? declared : [declared]) as JsonType[];
    const types = new Set(list);
    // A number schema admits integers; an integer is a number for every column type that takes one.
    if (types.has('number')) types.add('integer');
    return types;
  }

  produces(schema: Schema, pointer: JsonPointer, seen = new Set<string>()): Produces {
    const resolved = this.resolve(schema, new Set(seen));
    if (resolved === false) return NOTHING;
    if (resolved === true) return { reachable: true, types: new Set(ALL_TYPES) };
    const branches = this.branches(resolved).map((branch) => this.produces(branch, pointer, seen));
    if (pointer.length === 0) {
      const own = this.ownTypes(resolved);
      // A branch may narrow (an enum in allOf); the schema's own list bounds what any branch adds.
      const narrowed = branches.filter((branch) => branch.reachable);
      if (narrowed.length > 0 && Array.isArray(resolved.allOf)) {
        const fromBranches = union(narrowed);
        if (fromBranches.reachable) {
          const both = [...own].filter((type) => fromBranches.types.has(type));
          if (both.length > 0) return { reachable: true, types: new Set(both) };
        }
      }
      return { reachable: true, types: own };
    }
    const [token, ...rest] = pointer as [string, ...string[]];
    const own = this.ownTypes(resolved);
    const children: Produces[] = [];
    if (own.has('object')) {
      const properties = isRecord(resolved.properties) ? resolved.properties : {};
      if (Object.hasOwn(properties, token))
        children.push(this.produces(properties[token] as Schema, rest, seen));
      else {
        let matchedPattern = false;
        if (isRecord(resolved.patternProperties)) {
          for (const [pattern, child] of Object.entries(resolved.patternProperties)) {
            let matches = true;
            try {
              matches = new RegExp(pattern, 'u').test(token);
            } catch {
              // A pattern JavaScript cannot read: assume it may match.
            }
            if (matches) {
              matchedPattern = true;
              children.push(this.produces(child as Schema, rest, seen));
            }
          }
        }
        if (!matchedPattern) {
          // A property the schema does not declare is not something it produces, unless it says
          // what other properties may hold; a mapping should not rely on undeclared fields.
          const additional = (resolved.additionalProperties ??
            resolved.unevaluatedProperties ??
            false) as Schema;
          children.push(this.produces(additional, rest, seen));
        }
      }
    }
    if (own.has('array') && /^(0|[1-9][0-9]*)$/.test(token)) {
      const index = Number(token);
      const prefix = Array.isArray(resolved.prefixItems) ? (resolved.prefixItems as Schema[]) : [];
      const item = index < prefix.length ? prefix[index] : ((resolved.items ?? true) as Schema);
      children.push(this.produces(item as Schema, rest, seen));
    }
    const found = union(children);
    // With no structure of its own at this place, a branch may still define it (allOf/anyOf/if-then).
    const fromBranches = union(branches);
    if (!found.reachable) return fromBranches;
    return found;
  }
}

export interface MappingProblem {
  topic: string;
  table: string;
  column?: string;
  message: string;
}

function describeTypes(types: ReadonlySet<JsonType>): string {
  return [...types].filter((type) => type !== 'null').join(' or ');
}

function checkColumn(
  walker: SchemaWalker,
  column: CompiledColumn,
  place: { prefix: JsonPointer; prefixText: string },
  where: Omit<MappingProblem, 'message'>,
): MappingProblem[] {
  const problems: MappingProblem[] = [];
  const check = (pointer: JsonPointer, text: string, what: string): Produces => {
    const produced = walker.produces(walker.root, pointer);
    if (!produced.reachable) {
      problems.push({ ...where, message: `${what} ${text} names nothing the topic's schema declares` });
    }
    return produced;
  };
  if (column.when)
    check(
      [...place.prefix, ...column.when.pointer],
      `${place.prefixText}${column.when.text}`,
      'when.pointer',
    );
  let produced: Produces | undefined;
  if (column.source.kind === 'pointer') {
    produced = check(
      [...place.prefix, ...column.source.pointer],
      `${place.prefixText}${column.source.text}`,
      'pointer',
    );
  } else if (column.source.kind === 'event') {
    produced = check(column.source.pointer, column.source.text, 'event_pointer');
  }
  // A place the schema leaves unconstrained may hold anything; only a stated type can be checked.
  if (produced?.reachable && produced.types.size < ALL_TYPES.length) {
    const refused = [...produced.types].filter((type) => type !== 'null' && !column.info.accepts.has(type));
    if (refused.length > 0) {
      problems.push({
        ...where,
        message: `a ${column.type} column cannot hold ${refused.join(' or ')}, which the schema allows at ${
          column.source.kind === 'pointer'
            ? `${place.prefixText}${column.source.text}`
            : (column.source as { text: string }).text
        } (it allows ${describeTypes(produced.types) || 'only null'})`,
      });
    }
  }
  return problems;
}

/**
 * Checks each topic's mappings against its JSON Schema: every pointer must name a place the schema
 * can produce, and each column type must hold every type the schema allows there (null aside).
 */
export function checkMappingsAgainstSchemas(
  projections: CompiledProjections,
  schemas: ReadonlyMap<string, unknown>,
): MappingProblem[] {
  const problems: MappingProblem[] = [];
  for (const [topic, tables] of projections) {
    const schema = schemas.get(topic);
    if (schema === undefined) {
      problems.push({ topic, table: tables[0]?.table ?? '', message: `topic "${topic}" has no schema` });
      continue;
    }
    const walker = new SchemaWalker(schema as Schema);
    for (const table of tables) {
      for (const column of table.columns) {
        problems.push(
          ...checkColumn(
            walker,
            column,
            { prefix: [], prefixText: '' },
            { topic, table: table.table, column: column.name },
          ),
        );
      }
      for (const child of table.children) {
        const items = walker.produces(schema as Schema, child.items);
        if (!items.reachable || !items.types.has('array')) {
          problems.push({
            topic,
            table: child.table,
            message:
              `items ${child.itemsText} is ${items.reachable ? 'not an array in' : 'a place'} the topic's schema ${items.reachable ? '' : 'cannot produce'}`.trim(),
          });
          continue;
        }
        // Walk into any item: the items schema applies at every index.
        const prefix = [...child.items, '0'];
        for (const column of child.columns) {
          if (column.source.kind === 'parent') continue;
          problems.push(
            ...checkColumn(
              walker,
              column,
              { prefix, prefixText: `${child.itemsText}/*` },
              { topic, table: child.table, column: column.name },
            ),
          );
        }
      }
    }
  }
  return problems;
}

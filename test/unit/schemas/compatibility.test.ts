import {
  breaksMode,
  checkVersionChain,
  COMPATIBILITY_MODES,
  diffSchemas,
  incompatibilities,
  type ChangeEffect,
  type CompatibilityMode,
} from '../../../shared/schemas/compatibility';

type Schema = Record<string, unknown>;

const str = { type: 'string', maxLength: 50 };
const object = (properties: Schema, extra: Schema = {}): Schema => ({ type: 'object', properties, ...extra });
const closed = (properties: Schema, extra: Schema = {}): Schema =>
  object(properties, { additionalProperties: false, ...extra });
const field = (schema: Schema): Schema => object({ a: schema });

/**
 * One rule: a change from `before` to `after` with its effect, and the same change undone with the
 * effect that has. Every rule is checked in every mode in both directions, so each mode sees the
 * rule both refused and allowed (for `both` rules, the allowed pair is the annotation-only row below).
 */
interface Rule {
  rule: string;
  pointer: string;
  before: Schema;
  after: Schema;
  effect: ChangeEffect;
  reverse: { rule: string; effect: ChangeEffect };
}

const RULES: Rule[] = [
  {
    rule: 'required-added',
    pointer: '/required',
    before: object({ a: str }),
    after: object({ a: str }, { required: ['a'] }),
    effect: 'narrows',
    reverse: { rule: 'required-removed', effect: 'widens' },
  },
  {
    rule: 'property-removed-closed',
    pointer: '/properties/b',
    before: closed({ a: str, b: str }),
    after: closed({ a: str }),
    effect: 'narrows',
    reverse: { rule: 'property-added-closed', effect: 'widens' },
  },
  {
    rule: 'property-added-open',
    pointer: '/properties/b',
    before: object({ a: str }),
    after: object({ a: str, b: str }),
    effect: 'narrows',
    reverse: { rule: 'type-widened', effect: 'widens' },
  },
  {
    rule: 'additional-properties-closed',
    pointer: '/additionalProperties',
    before: object({ a: str }),
    after: closed({ a: str }),
    effect: 'narrows',
    reverse: { rule: 'additional-properties-opened', effect: 'widens' },
  },
  {
    rule: 'type-narrowed',
    pointer: '/properties/a/type',
    before: field({ type: ['string', 'null'], maxLength: 5 }),
    after: field({ type: 'string', maxLength: 5 }),
    effect: 'narrows',
    reverse: { rule: 'type-widened', effect: 'widens' },
  },
  {
    rule: 'type-widened',
    pointer: '/properties/a/type',
    before: field({ type: 'integer' }),
    after: field({ type: 'number' }),
    effect: 'widens',
    reverse: { rule: 'type-narrowed', effect: 'narrows' },
  },
  {
    rule: 'enum-value-removed',
    pointer: '/properties/a/enum',
    before: field({ enum: ['red', 'blue'] }),
    after: field({ enum: ['red'] }),
    effect: 'narrows',
    reverse: { rule: 'enum-value-added', effect: 'widens' },
  },
  {
    rule: 'enum-added',
    pointer: '/properties/a/enum',
    before: field(str),
    after: field({ ...str, enum: ['red'] }),
    effect: 'narrows',
    reverse: { rule: 'enum-removed', effect: 'widens' },
  },
  {
    rule: 'format-added',
    pointer: '/properties/a/format',
    before: field(str),
    after: field({ ...str, format: 'email' }),
    effect: 'narrows',
    reverse: { rule: 'format-removed', effect: 'widens' },
  },
  {
    rule: 'format-changed',
    pointer: '/properties/a/format',
    before: field({ ...str, format: 'email' }),
    after: field({ ...str, format: 'uri' }),
    effect: 'both',
    reverse: { rule: 'format-changed', effect: 'both' },
  },
  {
    rule: 'limit-tightened',
    pointer: '/properties/a/maxLength',
    before: field({ type: 'string', maxLength: 10 }),
    after: field({ type: 'string', maxLength: 5 }),
    effect: 'narrows',
    reverse: { rule: 'limit-loosened', effect: 'widens' },
  },
  {
    rule: 'limit-tightened',
    pointer: '/properties/a/minimum',
    before: field({ type: 'number' }),
    after: field({ type: 'number', minimum: 1 }),
    effect: 'narrows',
    reverse: { rule: 'limit-loosened', effect: 'widens' },
  },
  {
    rule: 'limit-tightened',
    pointer: '/properties/a/minItems',
    before: field({ type: 'array', minItems: 1 }),
    after: field({ type: 'array', minItems: 2 }),
    effect: 'narrows',
    reverse: { rule: 'limit-loosened', effect: 'widens' },
  },
  {
    rule: 'limit-tightened',
    pointer: '/properties/a/exclusiveMaximum',
    before: field({ type: 'number', exclusiveMaximum: 100 }),
    after: field({ type: 'number', exclusiveMaximum: 10 }),
    effect: 'narrows',
    reverse: { rule: 'limit-loosened', effect: 'widens' },
  },
  {
    rule: 'limit-tightened',
    pointer: '/maxProperties',
    before: object({}),
    after: object({}, { maxProperties: 3 }),
    effect: 'narrows',
    reverse: { rule: 'limit-loosened', effect: 'widens' },
  },
  {
    rule: 'pattern-added',
    pointer: '/properties/a/pattern',
    before: field(str),
    after: field({ ...str, pattern: '^a' }),
    effect: 'narrows',
    reverse: { rule: 'pattern-removed', effect: 'widens' },
  },
  {
    rule: 'pattern-changed',
    pointer: '/properties/a/pattern',
    before: field({ ...str, pattern: '^a' }),
    after: field({ ...str, pattern: '^b' }),
    effect: 'both',
    reverse: { rule: 'pattern-changed', effect: 'both' },
  },
  {
    rule: 'multiple-of-tightened',
    pointer: '/properties/a/multipleOf',
    before: field({ type: 'integer', multipleOf: 2 }),
    after: field({ type: 'integer', multipleOf: 4 }),
    effect: 'narrows',
    reverse: { rule: 'multiple-of-loosened', effect: 'widens' },
  },
  {
    rule: 'multiple-of-added',
    pointer: '/properties/a/multipleOf',
    before: field({ type: 'integer' }),
    after: field({ type: 'integer', multipleOf: 5 }),
    effect: 'narrows',
    reverse: { rule: 'multiple-of-removed', effect: 'widens' },
  },
  {
    rule: 'multiple-of-changed',
    pointer: '/properties/a/multipleOf',
    before: field({ type: 'integer', multipleOf: 2 }),
    after: field({ type: 'integer', multipleOf: 3 }),
    effect: 'both',
    reverse: { rule: 'multiple-of-changed', effect: 'both' },
  },
  {
    rule: 'unique-items-added',
    pointer: '/properties/a/uniqueItems',
    before: field({ type: 'array', maxItems: 5 }),
    after: field({ type: 'array', maxItems: 5, uniqueItems: true }),
    effect: 'narrows',
    reverse: { rule: 'unique-items-removed', effect: 'widens' },
  },
  {
    rule: 'type-narrowed',
    pointer: '/properties/a/items/type',
    before: field({ type: 'array', items: { type: ['string', 'integer'], maxLength: 5 } }),
    after: field({ type: 'array', items: { type: 'string', maxLength: 5 } }),
    effect: 'narrows',
    reverse: { rule: 'type-widened', effect: 'widens' },
  },
  {
    rule: 'schema-closed',
    pointer: '/properties/a',
    before: object({ a: true }),
    after: object({ a: false }),
    effect: 'narrows',
    reverse: { rule: 'schema-opened', effect: 'widens' },
  },
  {
    rule: 'limit-tightened',
    pointer: '/$defs/name/maxLength',
    before: { $defs: { name: { type: 'string', maxLength: 9 } }, $ref: '#/$defs/name' },
    after: { $defs: { name: { type: 'string', maxLength: 3 } }, $ref: '#/$defs/name' },
    effect: 'narrows',
    reverse: { rule: 'limit-loosened', effect: 'widens' },
  },
  {
    rule: 'ref-changed',
    pointer: '/properties/a/$ref',
    before: field({ $ref: '#/$defs/one' }),
    after: field({ $ref: '#/$defs/two' }),
    effect: 'both',
    reverse: { rule: 'ref-changed', effect: 'both' },
  },
  {
    rule: 'uncompared-keyword-changed',
    pointer: '/properties/a/anyOf',
    before: field({ anyOf: [{ type: 'string', maxLength: 3 }, { type: 'null' }] }),
    after: field({ anyOf: [{ type: 'string', maxLength: 3 }] }),
    effect: 'both',
    reverse: { rule: 'uncompared-keyword-changed', effect: 'both' },
  },
];

function refused(mode: CompatibilityMode, effect: ChangeEffect): boolean {
  if (mode === 'none') return false;
  if (mode === 'full' || effect === 'both') return true;
  return mode === 'backward' ? effect === 'narrows' : effect === 'widens';
}

describe('structural schema diff', () => {
  it.each(RULES.map((rule) => [`${rule.rule} at ${rule.pointer}`, rule] as const))(
    '%s is found with its effect, and undoing it with the opposite one',
    (_name, rule) => {
      expect(diffSchemas(rule.before, rule.after)).toContainEqual(
        expect.objectContaining({ rule: rule.rule, pointer: rule.pointer, effect: rule.effect }),
      );
      expect(diffSchemas(rule.after, rule.before)).toContainEqual(
        expect.objectContaining({ rule: rule.reverse.rule, effect: rule.reverse.effect }),
      );
    },
  );

  const cases = RULES.flatMap((rule) =>
    COMPATIBILITY_MODES.map((mode) => [`${rule.rule} at ${rule.pointer} in ${mode}`, rule, mode] as const),
  );
  it.each(cases)('%s: refused and allowed exactly as the mode says', (_name, rule, mode) => {
    const forward = incompatibilities(mode, rule.before, rule.after);
    const undone = incompatibilities(mode, rule.after, rule.before);
    expect(forward.some((change) => change.rule === rule.rule)).toBe(refused(mode, rule.effect));
    expect(undone.some((change) => change.rule === rule.reverse.rule)).toBe(
      refused(mode, rule.reverse.effect),
    );
  });

  it.each(COMPATIBILITY_MODES.map((mode) => [mode]))(
    'in %s mode, a change of annotations only (title, description, examples, $id) passes',
    (mode) => {
      const before = { $id: 'one', title: 'x', ...field({ ...str, description: 'old' }) };
      const after = { $id: 'two', title: 'y', examples: [{}], ...field({ ...str, description: 'new' }) };
      expect(diffSchemas(before, after)).toEqual([]);
      expect(incompatibilities(mode, before, after)).toEqual([]);
    },
  );

  it('ignores a type-specific limit on a type the other schema did not accept', () => {
    // Widening a number to number-or-string with a maxLength refuses no old event.
    const before = field({ type: 'number' });
    const after = field({ type: ['number', 'string'], maxLength: 40 });
    expect(incompatibilities('backward', before, after)).toEqual([]);
    // The same maxLength on a field that was already a string is a tightening.
    expect(
      incompatibilities('backward', field({ type: 'string' }), field({ type: 'string', maxLength: 40 })),
    ).toEqual([expect.objectContaining({ rule: 'limit-tightened', pointer: '/properties/a/maxLength' })]);
  });

  it('a mode refuses exactly the effects it names', () => {
    const change = (effect: ChangeEffect) => ({ pointer: '/', rule: 'r', effect, message: '' });
    expect(breaksMode('backward', change('widens'))).toBe(false);
    expect(breaksMode('forward', change('narrows'))).toBe(false);
    expect(breaksMode('full', change('widens'))).toBe(true);
    expect(breaksMode('none', change('both'))).toBe(false);
  });

  it('checks every live version against every earlier live one; retired versions take no part', () => {
    const v1 = object({ a: str }, { required: ['a'] });
    const v2 = object({ a: str });
    const v3 = object({ a: str }, { required: ['a'] });
    const versions = [
      { version: 1, schema: v1, retired: false },
      { version: 2, schema: v2, retired: false },
      { version: 3, schema: v3, retired: false },
    ];
    // v3 takes back what v2 loosened: under backward, v3 breaks v2 (not v1).
    expect(checkVersionChain('backward', versions)).toEqual([
      expect.objectContaining({ from: 2, to: 3, rule: 'required-added', pointer: '/required' }),
    ]);
    // Under forward, v2 breaks v1 and v3 is fine with both.
    expect(checkVersionChain('forward', versions)).toEqual([
      expect.objectContaining({ from: 1, to: 2, rule: 'required-removed' }),
    ]);
    expect(
      checkVersionChain('backward', [versions[0], { ...versions[1], retired: true }, versions[2]] as never),
    ).toEqual([]);
  });
});

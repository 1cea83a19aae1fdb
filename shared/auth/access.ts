import { ConfigError } from '../config/errors';
import { splitTopicEntry } from './read-access';
import { describeError } from '../errors/describe';

/** A field of the event that a restricted user may only send with values matching one of the patterns. */
export interface FieldRule {
  readonly field: string;
  /** Compiled for a full match of the value's text. */
  readonly patterns: readonly RegExp[];
}

export interface UserAccess {
  /** The subject as written in the access map, used in messages. */
  readonly name: string;
  /** Empty: the user may send anything the schema accepts. */
  readonly rules: readonly FieldRule[];
}

export interface TopicAccess {
  readonly topic: string;
  /** Keyed by the case-folded subject. */
  readonly users: ReadonlyMap<string, UserAccess>;
  /** Subjects granted reading by the entry's `read` list (./read-access.ts), keyed case-folded. */
  readonly readers?: ReadonlyMap<string, string>;
}

export interface AccessMap {
  readonly source: string;
  /** Keyed by the lowercased topic name. */
  readonly topics: ReadonlyMap<string, TopicAccess>;
}

export type AccessDecision =
  { allowed: true } | { allowed: false; type: 'auth' | 'permission'; message: string };

/**
 * Case folding for subjects. `toLowerCase` already equates everything that differs only by case; the
 * two replacements add the foldings Python's `casefold` makes that lowercasing does not (final sigma,
 * sharp s). Rarer full foldings (ligatures and the like) are left out, which can only make a match
 * stricter, never looser.
 */
export function casefold(value: string): string {
  if (value === lastUnfolded) return lastFolded;
  lastFolded = value.toLowerCase().replace(/ς/g, 'σ').replace(/ß/g, 'ss').replace(/ẞ/g, 'ss');
  lastUnfolded = value;
  return lastFolded;
}

// A request folds its token's subject twice (once for the user, once per event) and most requests
// come from the subject before: the last folding is kept. Folded anew, the subject cost the ingest
// handler about 0.4 µs per single-event request.
let lastUnfolded = '';
let lastFolded = '';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses an access map: each topic maps to a list of subjects (no restrictions) or to
 * `{subject: {field: [regex, …]}}`, where `{}` means unrestricted. Every pattern is compiled here, so a
 * bad map fails at load with a message naming the source, topic and subject.
 */
export function parseAccessMap(doc: unknown, source: string): AccessMap {
  if (!isRecord(doc)) throw new ConfigError(`${source}: the access map must be a JSON object of topics`);
  const topics = new Map<string, TopicAccess>();
  for (const [topicName, entry] of Object.entries(doc)) {
    const topic = topicName.toLowerCase();
    if (topic.trim() === '') throw new ConfigError(`${source}: empty topic name`);
    if (topics.has(topic)) {
      throw new ConfigError(
        `${source}: topic '${topicName}' appears more than once (topic names ignore case)`,
      );
    }
    const { publish, readers } = splitTopicEntry(entry, `${source}: topic '${topicName}'`);
    topics.set(topic, { topic, users: parseTopicUsers(publish, source, topicName), readers });
  }
  return { source, topics };
}

function parseTopicUsers(entry: unknown, source: string, topic: string): Map<string, UserAccess> {
  const users = new Map<string, UserAccess>();
  const where = `${source}: topic '${topic}'`;
  if (Array.isArray(entry)) {
    for (const user of entry) {
      if (typeof user !== 'string' || user.trim() === '') {
        throw new ConfigError(`${where}: users must be non-empty strings, got ${JSON.stringify(user)}`);
      }
      users.set(casefold(user), { name: user, rules: [] });
    }
    return users;
  }
  if (!isRecord(entry)) {
    throw new ConfigError(`${where}: expected a list of users or an object of user → field restrictions`);
  }
  for (const [user, restrictions] of Object.entries(entry)) {
    if (user.trim() === '') throw new ConfigError(`${where}: empty user name`);
    const key = casefold(user);
    if (users.has(key)) {
      throw new ConfigError(`${where}: user '${user}' appears more than once (users ignore case)`);
    }
    users.set(key, { name: user, rules: parseRules(restrictions, `${where}, user '${user}'`) });
  }
  return users;
}

function parseRules(restrictions: unknown, where: string): FieldRule[] {
  if (!isRecord(restrictions)) {
    throw new ConfigError(`${where}: restrictions must be an object of field → list of patterns`);
  }
  return Object.entries(restrictions).map(([field, patterns]) => {
    if (!Array.isArray(patterns))
      throw new ConfigError(`${where}, field '${field}': patterns must be a list`);
    return {
      field,
      patterns: patterns.map((pattern) => {
        if (typeof pattern !== 'string') {
          throw new ConfigError(
            `${where}, field '${field}': pattern ${JSON.stringify(pattern)} is not a string`,
          );
        }
        return compileFullMatch(pattern, `${where}, field '${field}'`);
      }),
    };
  });
}

// Escapes that mean something in Python's `re` and the same thing in JavaScript without the `u` flag.
const PORTABLE_LETTER_ESCAPES = new Set('dDwWsSbBfnrtvx0123456789'.split(''));

/**
 * Compiles a pattern written for Python's `re.fullmatch`. Python-only spellings with a JavaScript
 * equivalent are translated; the `u` flag is preferred, and patterns it rejects (Python allows escaping
 * any punctuation, e.g. `\-` or `\:`) fall back to legacy mode only when they use no letter escape
 * whose meaning would silently change there (legacy `\A` or `\p` mean the letters themselves).
 * Note `\d` and `\w` match ASCII only in JavaScript, so a match can be stricter than in Python, not looser.
 */
export function compileFullMatch(pattern: string, where: string): RegExp {
  const translated = pattern
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>')
    .replace(/(^|[^\\])((?:\\\\)*)\\A/g, '$1$2^')
    .replace(/(^|[^\\])((?:\\\\)*)\\Z/g, '$1$2$');
  const anchored = `^(?:${translated})$`;
  try {
    return new RegExp(anchored, 'u');
  } catch (unicodeError) {
    const unsafe = /\\(.)/g;
    for (let match = unsafe.exec(translated); match; match = unsafe.exec(translated)) {
      const escaped = match[1] as string;
      if (/[A-Za-z0-9]/.test(escaped) && !PORTABLE_LETTER_ESCAPES.has(escaped)) {
        throw new ConfigError(
          `${where}: invalid pattern ${JSON.stringify(pattern)}: unsupported escape \\${escaped}`,
        );
      }
    }
    try {
      return new RegExp(anchored);
    } catch {
      throw new ConfigError(
        `${where}: invalid pattern ${JSON.stringify(pattern)}: ${describeError(unicodeError)}`,
      );
    }
  }
}

/** Lowercased topic names the map mentions. */
export function topicsInAccessMap(map: AccessMap): string[] {
  return [...map.topics.keys()];
}

/**
 * Decides whether `subject` may publish `event` to `topic`. A topic absent from the map admits nobody.
 * A restricted user must send every restricted field, not null, with a value whose text fully matches
 * at least one of that field's patterns.
 */
export function authorize(
  map: AccessMap,
  topic: string,
  subject: string | null,
  event: unknown,
): AccessDecision {
  const user = subject ? map.topics.get(topic.toLowerCase())?.users.get(casefold(subject)) : undefined;
  if (!user) {
    const message = subject
      ? `User '${subject}' is not authorized for topic '${topic}'`
      : `Token has no subject; not authorized for topic '${topic}'`;
    return { allowed: false, type: 'auth', message };
  }
  for (const rule of user.rules) {
    const value = fieldValue(event, rule.field);
    if (value === undefined || value === null) {
      return {
        allowed: false,
        type: 'permission',
        message: `Required field '${rule.field}' missing from message`,
      };
    }
    const text = valueText(value);
    if (!rule.patterns.some((pattern) => pattern.test(text))) {
      return {
        allowed: false,
        type: 'permission',
        message: `Field '${rule.field}' value not permitted for user '${user.name}'`,
      };
    }
  }
  return { allowed: true };
}

function fieldValue(event: unknown, field: string): unknown {
  // Own properties only: `constructor` or `__proto__` must not be found on every object.
  return isRecord(event) && Object.hasOwn(event, field) ? event[field] : undefined;
}

/** The text a pattern sees: strings as they are, numbers and booleans as JavaScript writes them, the rest as JSON. */
function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}

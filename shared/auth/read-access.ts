import { ConfigError } from '../config/errors';
import { casefold, type AccessMap } from './access';

/**
 * Reading a topic back is granted in the access map with a second form of a topic's entry:
 *
 *   "public.cps.za.runs": { "publish": <the usual list or user → field rules>, "read": ["Analyst"] }
 *
 * The usual forms (a list of subjects, or subject → field rules) stay valid and grant no extra
 * readers. An entry is the read form when it is an object whose `read` is a list and whose other key,
 * if any, is `publish`; in the usual form every value is an object, so the two cannot be confused.
 */
export interface SplitTopicEntry {
  /** The entry's publishing part, in the usual forms; undefined when the topic takes no publishers. */
  publish: unknown;
  /** Case-folded subject → subject as written. */
  readers: ReadonlyMap<string, string>;
}

function isReadForm(entry: unknown): entry is { publish?: unknown; read: unknown[] } {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return false;
  const record = entry as Record<string, unknown>;
  return (
    Array.isArray(record.read) && Object.keys(record).every((key) => key === 'read' || key === 'publish')
  );
}

export function splitTopicEntry(entry: unknown, where: string): SplitTopicEntry {
  if (!isReadForm(entry)) return { publish: entry, readers: new Map() };
  const readers = new Map<string, string>();
  for (const reader of entry.read) {
    if (typeof reader !== 'string' || reader.trim() === '') {
      throw new ConfigError(`${where}: readers must be non-empty strings, got ${JSON.stringify(reader)}`);
    }
    readers.set(casefold(reader), reader);
  }
  return { publish: entry.publish ?? [], readers };
}

export type ReadDecision = { allowed: true } | { allowed: false; message: string };

/**
 * Whether `subject` may read `topic` back: listed under the topic's `read`, or allowed to publish
 * anything to it. A publisher restricted by field rules may only send some events, so it is not
 * allowed to read all of them; it needs a `read` entry like any other reader.
 */
export function mayRead(map: AccessMap, topic: string, subject: string | null): ReadDecision {
  if (!subject)
    return { allowed: false, message: `Token has no subject; not authorized to read topic '${topic}'` };
  const entry = map.topics.get(topic.toLowerCase());
  const key = casefold(subject);
  if (entry?.readers?.has(key)) return { allowed: true };
  const publisher = entry?.users.get(key);
  if (publisher && publisher.rules.length === 0) return { allowed: true };
  return { allowed: false, message: `User '${subject}' is not authorized to read topic '${topic}'` };
}

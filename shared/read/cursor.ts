/**
 * Where a page of events ended: the last event's receive time (µs since the epoch) and id. Handed to
 * clients as opaque base64url text; only this module reads it.
 */
export interface EventCursor {
  receivedAtMicros: string;
  eventId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCursor(cursor: EventCursor): string {
  return Buffer.from(`${cursor.receivedAtMicros}.${cursor.eventId}`, 'utf8').toString('base64url');
}

/** The cursor, or undefined when the text is not one this API handed out. */
export function decodeCursor(text: string): EventCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(text)) return undefined;
  const match = /^(-?\d{1,19})\.(.+)$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!match || !UUID.test(match[2] as string)) return undefined;
  return { receivedAtMicros: match[1] as string, eventId: match[2] as string };
}

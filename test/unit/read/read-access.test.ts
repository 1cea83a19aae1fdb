import { parseAccessMap } from '../../../shared/auth/access';
import { mayRead } from '../../../shared/auth/read-access';
import { ConfigError } from '../../../shared/config/errors';
import { decodeCursor, encodeCursor } from '../../../shared/read/cursor';
import { parseStatsRequest, runStatus } from '../../../shared/read/stats';
import { withReadRoutes } from '../../../shared/read/handler';
import { v2Event } from '../../helpers/gateway';

const map = parseAccessMap(
  {
    'orders.created': {
      publish: { Writer: {}, Limited: { tenant_id: ['a'] } },
      read: ['Analyst', 'Auditor'],
    },
    'orders.listed': ['Lister'],
    'orders.legacy': { Reader: {} },
    'orders.readonly': { read: ['Watcher'] },
  },
  'access.json',
);

describe('read permission in the access map', () => {
  test.each<[string, string | null, boolean]>([
    ['orders.created', 'analyst', true],
    ['orders.created', 'Writer', true],
    ['orders.created', 'Limited', false],
    ['orders.created', 'Stranger', false],
    ['orders.created', null, false],
    ['orders.listed', 'Lister', true],
    ['orders.legacy', 'Reader', true],
    ['orders.readonly', 'Watcher', true],
    ['orders.readonly', 'Analyst', false],
    ['orders.unknown', 'Analyst', false],
  ])('%s, subject %s: %s', (topic, subject, allowed) => {
    expect(mayRead(map, topic, subject).allowed).toBe(allowed);
  });

  test('the read form keeps the publishing rules, and takes no publishers when it names none', () => {
    expect(map.topics.get('orders.created')?.users.get('limited')?.rules).toHaveLength(1);
    expect(map.topics.get('orders.readonly')?.users.size).toBe(0);
  });

  test('refuses a reader that is not a subject name', () => {
    expect(() => parseAccessMap({ t: { read: ['ok', 3] } }, 'access.json')).toThrow(ConfigError);
    expect(() => parseAccessMap({ t: { read: [''] } }, 'access.json')).toThrow(
      'readers must be non-empty strings',
    );
  });
});

describe('cursors', () => {
  test('round-trip, and anything else is not a cursor', () => {
    const cursor = { receivedAtMicros: '1767225600123456', eventId: '0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    for (const text of [
      '',
      'abc',
      Buffer.from('1.not-a-uuid').toString('base64url'),
      'a'.repeat(200),
      '../../x',
    ]) {
      expect(decodeCursor(text)).toBeUndefined();
    }
  });
});

describe('stats request', () => {
  const now = 1_767_225_600_000;
  const parse = (body: unknown) =>
    parseStatsRequest(body === undefined ? null : Buffer.from(JSON.stringify(body)), now);
  test('defaults to the last 7 days, 50 rows, no cursor; clamps the limit', () => {
    expect(parse(undefined)).toEqual({
      timestampStart: now - 7 * 86_400_000,
      timestampEnd: now,
      cursor: null,
      limit: 50,
    });
    expect(parse(null).limit).toBe(50);
    expect(parse({ limit: 5000, cursor: 12 })).toMatchObject({ limit: 1000, cursor: 12 });
  });
  test.each([
    [[], 'Request body must be a JSON object.'],
    [{ timestamp_start: true }, "'timestamp_start' must be an integer"],
    [{ timestamp_end: '1' }, "'timestamp_end' must be an integer"],
    [{ cursor: 1.5 }, "'cursor' must be an integer"],
    [{ limit: 0 }, "'limit' must be a positive integer"],
  ])('refuses %j', (body, message) => {
    expect(() => parse(body)).toThrow(message);
  });
  test('refuses a body that is not JSON', () => {
    expect(() => parseStatsRequest(Buffer.from('{'), now)).toThrow('Request body must be valid JSON.');
  });
  test('tells a failure from a run without data', () => {
    expect(runStatus('failed', 'No data found')).toBe('no data received');
    expect(runStatus('failed', 'there were no records to send')).toBe('no data produced');
    expect(runStatus('failed', 'boom')).toBe('failed');
    expect(runStatus('skipped', null)).toBe('succeeded');
  });
});

describe('one entry point for ingest and read routes', () => {
  test('sends read routes to the read app and everything else to ingest', async () => {
    const seen: string[] = [];
    const app = withReadRoutes(
      async () => (seen.push('ingest'), { statusCode: 200, headers: {}, body: '' }),
      async () => (seen.push('read'), { statusCode: 200, headers: {}, body: '' }),
    );
    for (const path of ['/topics/a', '/topics/a/events', '/topics/a/events/x', '/stats/a', '/health']) {
      await app(v2Event({ method: 'GET', path }));
    }
    expect(seen).toEqual(['ingest', 'read', 'read', 'read', 'ingest']);
  });
});

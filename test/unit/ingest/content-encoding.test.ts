import { brotliCompressSync, constants, deflateSync, gzipSync } from 'node:zlib';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { GatewayStateLoader } from '../../../shared/gateway/state';
import { createIngestApp, type IngestApp } from '../../../shared/ingest/app';
import {
  createTestConf,
  RecordingDelivery,
  v1Event,
  v2Event,
  validTestEvent,
  type TestConf,
} from '../../helpers/gateway';

const MAX_BODY = 1024 * 1024;
let conf: TestConf;
let app: IngestApp;
let delivery: RecordingDelivery;

beforeAll(async () => {
  conf = await createTestConf();
  conf.setConfig({ max_body_bytes: MAX_BODY, topics: { 'public.cps.za.test': { mode: 'sync' } } });
});
afterAll(() => conf.cleanup());
beforeEach(() => {
  delivery = new RecordingDelivery();
  app = createIngestApp({
    state: new GatewayStateLoader({ confDir: conf.dir, env: { EVENTGATE_SINKS: 'postgres' } }),
    deliveries: { sync: delivery, async: delivery },
  });
});

type Body = { statusCode: number; errors?: Array<{ type: string; message: string }> };

/** Posts raw bytes the way API Gateway hands a binary body to Lambda: base64 with isBase64Encoded. */
async function postBytes(body: Buffer, encoding: string | null, token?: string) {
  const event = v2Event({
    method: 'POST',
    path: '/topics/public.cps.za.test',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${token ?? (await conf.token('TestUser'))}`,
      ...(encoding === null ? {} : { 'content-encoding': encoding }),
    },
  });
  event.body = body.toString('base64');
  event.isBase64Encoded = true;
  const response = await app(event);
  return { ...response, parsed: JSON.parse(response.body) as Body };
}

const eventJson = (id: string): Buffer => Buffer.from(JSON.stringify(validTestEvent({ event_id: id })));

describe('Content-Encoding on POST', () => {
  it.each([
    ['gzip', gzipSync],
    ['x-gzip', gzipSync],
    ['br', brotliCompressSync],
    ['deflate', deflateSync],
    ['GZIP', gzipSync],
  ] as const)('accepts a %s body and delivers the decoded event', async (encoding, compress) => {
    const response = await postBytes(compress(eventJson(`enc-${encoding}`)), encoding);
    expect(response.statusCode).toBe(202);
    expect(delivery.delivered[0]?.payload).toMatchObject({ event_id: `enc-${encoding}` });
  });

  it('undoes stacked codings in reverse order', async () => {
    const body = brotliCompressSync(gzipSync(eventJson('stacked')));
    expect((await postBytes(body, 'gzip, br')).statusCode).toBe(202);
    expect(delivery.delivered[0]?.payload).toMatchObject({ event_id: 'stacked' });
  });

  it('accepts a gzip body from a REST (v1) event with isBase64Encoded', async () => {
    const event: APIGatewayProxyEvent = v1Event({
      method: 'POST',
      path: '/topics/public.cps.za.test',
      headers: {
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip',
        Authorization: `Bearer ${await conf.token('TestUser')}`,
      },
    });
    event.body = gzipSync(eventJson('rest-gzip')).toString('base64');
    event.isBase64Encoded = true;
    expect((await app(event)).statusCode).toBe(202);
    expect(delivery.delivered[0]?.payload).toMatchObject({ event_id: 'rest-gzip' });
  });

  it('answers 415 with Accept-Encoding for an unknown coding, and for too many codings', async () => {
    for (const encoding of ['compress', 'zstd', 'gzip;q=1', 'gzip, gzip, gzip']) {
      const response = await postBytes(gzipSync(eventJson('x')), encoding);
      expect({ encoding, status: response.statusCode }).toEqual({ encoding, status: 415 });
      expect(response.headers['Accept-Encoding']).toBe('gzip, br, deflate');
      expect(response.parsed.errors?.[0]?.type).toBe('content_encoding');
    }
    expect(delivery.calls).toHaveLength(0);
  });

  it('answers 400 for truncated, corrupt or mislabelled compressed bodies', async () => {
    const gzip = gzipSync(eventJson('x'));
    const corrupt = Buffer.from(gzip);
    corrupt[gzip.length - 6] = (corrupt[gzip.length - 6] as number) ^ 0xff; // breaks the CRC
    const cases: Array<[string, Buffer, string]> = [
      ['truncated gzip', gzip.subarray(0, gzip.length - 10), 'gzip'],
      ['gzip cut after the header', gzip.subarray(0, 12), 'gzip'],
      ['gzip with a wrong checksum', corrupt, 'gzip'],
      ['plain JSON labelled gzip', eventJson('x'), 'gzip'],
      ['plain JSON labelled br', eventJson('x'), 'br'],
      ['gzip labelled deflate', gzip, 'deflate'],
    ];
    for (const [label, body, encoding] of cases) {
      const response = await postBytes(body, encoding);
      expect({ label, status: response.statusCode }).toEqual({ label, status: 400 });
      expect(response.parsed.errors?.[0]?.type).toBe('content_encoding');
    }
    expect(delivery.calls).toHaveLength(0);
  });

  it('applies max_body_bytes to the decoded body', async () => {
    const justUnder = Buffer.from(JSON.stringify(validTestEvent({ pad: 'a'.repeat(MAX_BODY - 300) })));
    expect(justUnder.length).toBeLessThanOrEqual(MAX_BODY);
    expect((await postBytes(gzipSync(justUnder), 'gzip')).statusCode).toBe(202);
    const over = gzipSync(Buffer.alloc(MAX_BODY + 1, 0x20));
    const response = await postBytes(over, 'gzip');
    expect(response.statusCode).toBe(413);
    expect(response.parsed.errors?.[0]?.message).toMatch(/inflates to more than 1048576 bytes/);
  });

  it('stops a gzip bomb that would inflate to 1 GiB at the limit: 413, fast, without the memory', async () => {
    // 1024 gzip members of 1 MiB of zeros each (1 GiB in all), gzipped once more: a few kilobytes.
    const member = gzipSync(Buffer.alloc(1024 * 1024));
    const inner = Buffer.concat(Array.from({ length: 1024 }, () => member));
    const bomb = gzipSync(inner, { level: 9 });
    expect(bomb.length).toBeLessThan(64 * 1024);
    // And a single-layer bomb: 16 MiB of zeros, 16 KiB on the wire.
    const single = gzipSync(Buffer.alloc(16 * 1024 * 1024));
    const brotli = brotliCompressSync(Buffer.alloc(64 * 1024 * 1024), {
      params: { [constants.BROTLI_PARAM_QUALITY]: 1 },
    });
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    for (const [body, encoding] of [
      [bomb, 'gzip, gzip'],
      [single, 'gzip'],
      [brotli, 'br'],
    ] as const) {
      const response = await postBytes(body, encoding);
      expect(response.statusCode).toBe(413);
    }
    const elapsedMs = performance.now() - started;
    const grownMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    expect(elapsedMs).toBeLessThan(2_000);
    expect(grownMiB).toBeLessThan(64);
    expect(delivery.calls).toHaveLength(0);
  });

  it('refuses a compressed body already over the limit before inflating it', async () => {
    const response = await postBytes(Buffer.alloc(MAX_BODY + 1), 'gzip');
    expect(response.statusCode).toBe(413);
  });

  it('leaves identity and unencoded bodies alone', async () => {
    expect((await postBytes(eventJson('plain'), null)).statusCode).toBe(202);
    expect((await postBytes(eventJson('identity'), 'identity')).statusCode).toBe(202);
  });
});

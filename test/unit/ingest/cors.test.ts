import { GatewayStateLoader } from '../../../shared/gateway/state';
import { createIngestApp, type IngestApp } from '../../../shared/ingest/app';
import { compileCorsPolicy } from '../../../shared/ingest/cors';
import {
  createTestConf,
  RecordingDelivery,
  v2Event,
  validRunsEvent,
  type TestConf,
} from '../../helpers/gateway';

let conf: TestConf;
let app: IngestApp;
let delivery: RecordingDelivery;

function build(): IngestApp {
  delivery = new RecordingDelivery();
  return createIngestApp({
    state: new GatewayStateLoader({ confDir: conf.dir, env: { EVENTGATE_SINKS: 'postgres' } }),
    deliveries: { sync: delivery, async: delivery },
  });
}

const GLOBAL_CORS = {
  allowed_origins: ['https://app.example.com', 'https://*.example.org', 'http://127.0.0.1:8080'],
  max_age_seconds: 300,
};

beforeAll(async () => {
  conf = await createTestConf();
  conf.setConfig({
    cors: GLOBAL_CORS,
    topics: {
      'public.cps.za.test': { mode: 'sync', cors: { allowed_origins: ['https://only-test.example.net'] } },
      'public.cps.za.runs': { mode: 'sync', key: 'job_ref' },
    },
  });
});
afterAll(() => conf.cleanup());
beforeEach(() => {
  app = build();
});

function preflight(path: string, origin: string, method = 'POST', headers = 'authorization,content-type') {
  return app(
    v2Event({
      method: 'OPTIONS',
      path,
      headers: {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': headers,
      },
    }),
  );
}

const corsHeadersOf = (headers: Record<string, string>): string[] =>
  Object.keys(headers).filter((name) => name.toLowerCase().startsWith('access-control-'));

describe('CORS preflight', () => {
  it('grants an exact origin the route methods, the asked headers and the max age', async () => {
    const response = await preflight('/topics/public.cps.za.runs', 'https://app.example.com');
    expect(response.statusCode).toBe(204);
    expect(response.headers['Access-Control-Allow-Origin']).toBe('https://app.example.com');
    expect(response.headers['Access-Control-Allow-Methods']).toBe('GET, POST');
    expect(response.headers['Access-Control-Allow-Headers']).toBe('authorization, content-type');
    expect(response.headers['Access-Control-Max-Age']).toBe('300');
    expect(response.headers.Vary).toMatch(/Origin/);
    expect(delivery.calls).toHaveLength(0);
  });

  it('grants any subdomain of a wildcard origin, but not the bare domain or a look-alike', async () => {
    for (const origin of ['https://a.example.org', 'https://a.b.example.org']) {
      const response = await preflight('/topics/public.cps.za.runs', origin);
      expect(response.headers['Access-Control-Allow-Origin']).toBe(origin);
    }
    for (const origin of [
      'https://example.org',
      'https://evilexample.org',
      'http://a.example.org',
      'https://a.example.org:8443',
      'https://a.example.org.evil.com',
      'null',
    ]) {
      const response = await preflight('/topics/public.cps.za.runs', origin);
      expect({ origin, status: response.statusCode }).toEqual({ origin, status: 403 });
      expect(corsHeadersOf(response.headers)).toEqual([]);
    }
  });

  it('refuses, with no CORS header, methods and headers outside the policy', async () => {
    const method = await preflight('/topics/public.cps.za.runs', 'https://app.example.com', 'DELETE');
    expect(method.statusCode).toBe(403);
    expect(corsHeadersOf(method.headers)).toEqual([]);
    const header = await preflight(
      '/topics/public.cps.za.runs',
      'https://app.example.com',
      'POST',
      'x-secret',
    );
    expect(header.statusCode).toBe(403);
    expect(JSON.parse(header.body).errors[0]).toMatchObject({ type: 'cors' });
    expect(corsHeadersOf(header.headers)).toEqual([]);
  });

  it('allows the CloudEvents binary-mode headers and Idempotency-Key by default', async () => {
    const response = await preflight(
      '/topics/public.cps.za.runs',
      'https://app.example.com',
      'POST',
      'ce-id,ce-source,ce-type,ce-specversion,idempotency-key,x-correlation-id,content-encoding',
    );
    expect(response.statusCode).toBe(204);
  });

  it("uses a topic's own policy instead of the global one", async () => {
    const own = await preflight('/topics/PUBLIC.CPS.ZA.TEST', 'https://only-test.example.net');
    expect(own.statusCode).toBe(204);
    const global = await preflight('/topics/public.cps.za.test', 'https://app.example.com');
    expect(global.statusCode).toBe(403);
    expect((await preflight('/topics', 'https://only-test.example.net', 'GET')).statusCode).toBe(403);
  });

  it('answers a plain OPTIONS with Allow, and routes that are not browser-facing with 405', async () => {
    const plain = await app(v2Event({ method: 'OPTIONS', path: '/topics/public.cps.za.runs' }));
    expect(plain.statusCode).toBe(204);
    expect(plain.headers.Allow).toBe('GET, POST, OPTIONS');
    const terminate = await preflight('/terminate', 'https://app.example.com');
    expect(terminate.statusCode).toBe(405);
    expect(corsHeadersOf(terminate.headers)).toEqual([]);
  });
});

describe('CORS on actual responses', () => {
  async function postFrom(origin: string | undefined) {
    return app(
      v2Event({
        method: 'POST',
        path: '/topics/public.cps.za.runs',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await conf.token('IntegrationTestUser')}`,
          ...(origin ? { origin } : {}),
        },
        body: JSON.stringify(validRunsEvent()),
      }),
    );
  }

  it('grants an allowed origin and exposes the correlation id, on errors too', async () => {
    const response = await postFrom('https://app.example.com');
    expect(response.statusCode).toBe(202);
    expect(response.headers['Access-Control-Allow-Origin']).toBe('https://app.example.com');
    expect(response.headers['Access-Control-Expose-Headers']).toBe('X-Correlation-ID');
    expect(response.headers.Vary).toBe('Origin');
  });

  it('gives a disallowed origin and a request without Origin no CORS header', async () => {
    for (const origin of ['https://evil.example.com', undefined]) {
      const response = await postFrom(origin);
      expect(response.statusCode).toBe(202);
      expect(corsHeadersOf(response.headers)).toEqual([]);
      expect(response.headers.Vary).toBe('Origin');
    }
  });
});

describe('CORS configuration', () => {
  it.each([
    [{}, /allowed_origins must list/],
    [{ allowed_origins: ['https://example.com/path'] }, /scheme:\/\/host/],
    [{ allowed_origins: ['*.example.com'] }, /scheme:\/\/host/],
    [{ allowed_origins: ['https://a.example.com'], max_age_seconds: -1 }, /max_age_seconds/],
    [{ allowed_origins: ['https://a.example.com'], allowed_headers: ['bad header'] }, /not a valid token/],
  ])('refuses %j', (settings, message) => {
    expect(() => compileCorsPolicy(settings, 'config.json')).toThrow(message);
  });

  it('makes a bad policy a load error, so a reload keeps the previous configuration', async () => {
    const broken = await createTestConf();
    broken.setConfig({ cors: { allowed_origins: ['ftp://x'] } });
    const state = new GatewayStateLoader({ confDir: broken.dir, env: { EVENTGATE_SINKS: 'postgres' } });
    await expect(state.current()).rejects.toThrow(/cors origin "ftp:\/\/x"/);
    broken.cleanup();
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { GatewayStateLoader } from '../../../shared/gateway/state';
import { createIngestApp } from '../../../shared/ingest/app';
import { startLocalHttpServer, type LocalHttpServer } from '../../../shared/local/http-server';
import { createTestConf, RecordingDelivery, validTestEvent, type TestConf } from '../../helpers/gateway';
import { CHROMIUM_PATH } from '../../peers/system-packages';

jest.setTimeout(90_000);

/** A page server on its own 127.0.0.1 port: a different origin from the gateway's. */
async function startPageServer(): Promise<{ origin: string; server: Server }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html' });
    response.end('<!doctype html><title>producer</title><p>producer page</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

let conf: TestConf;
let gateway: LocalHttpServer;
let delivery: RecordingDelivery;
let allowedPage: { origin: string; server: Server };
let forbiddenPage: { origin: string; server: Server };
let browser: BrowserContext;
let profileDir: string;
const methodsSeen: string[] = [];

beforeAll(async () => {
  allowedPage = await startPageServer();
  forbiddenPage = await startPageServer();
  conf = await createTestConf();
  conf.setConfig({
    cors: { allowed_origins: [allowedPage.origin] },
    topics: { 'public.cps.za.test': { mode: 'sync', id_field: 'event_id' } },
  });
  delivery = new RecordingDelivery();
  const app = createIngestApp({
    state: new GatewayStateLoader({ confDir: conf.dir, env: { EVENTGATE_SINKS: 'postgres' } }),
    deliveries: { sync: delivery, async: delivery },
  });
  gateway = await startLocalHttpServer(async (event) => {
    methodsSeen.push(
      'requestContext' in event && 'http' in event.requestContext ? event.requestContext.http.method : '?',
    );
    return app(event);
  }, 0);
  profileDir = mkdtempSync(path.join(tmpdir(), 'eventgate-chromium-'));
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  allowedPage?.server.close();
  forbiddenPage?.server.close();
  conf?.cleanup();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

interface FetchOutcome {
  status?: number;
  body?: { eventId?: string };
  correlationId?: string | null;
  error?: string;
}

/** Opens the page at `origin` and has it post one event to the gateway with fetch. */
async function postFromPage(origin: string, eventId: string): Promise<FetchOutcome> {
  const page = await browser.newPage();
  try {
    await page.goto(`${origin}/`);
    return await page.evaluate(
      async ({ url, token, event }) => {
        try {
          const response = await fetch(url, {
            method: 'POST',
            headers: {
              Authorization: `Bearer ${token}`,
              'Content-Type': 'application/json',
              'Idempotency-Key': event.event_id as string,
            },
            body: JSON.stringify(event),
          });
          return {
            status: response.status,
            body: (await response.json()) as { eventId?: string },
            correlationId: response.headers.get('X-Correlation-ID'),
          };
        } catch (error) {
          return { error: String(error) };
        }
      },
      {
        url: `${gateway.url}/topics/public.cps.za.test`,
        token: await conf.token('TestUser'),
        event: validTestEvent({ event_id: eventId }),
      },
    );
  } finally {
    await page.close();
  }
}

/** The page gzips the event itself with CompressionStream and posts it with Content-Encoding. */
async function postGzipFromPage(origin: string, eventId: string): Promise<FetchOutcome> {
  const page = await browser.newPage();
  try {
    await page.goto(`${origin}/`);
    return await page.evaluate(
      async ({ url, token, event }) => {
        try {
          const stream = new Blob([JSON.stringify(event)])
            .stream()
            .pipeThrough(new CompressionStream('gzip'));
          const body = await new Response(stream).arrayBuffer();
          const response = await fetch(url, {
            method: 'POST',
            headers: {
              Authorization: `Bearer ${token}`,
              'Content-Type': 'application/json',
              'Content-Encoding': 'gzip',
            },
            body,
          });
          return { status: response.status, body: (await response.json()) as { eventId?: string } };
        } catch (error) {
          return { error: String(error) };
        }
      },
      {
        url: `${gateway.url}/topics/public.cps.za.test`,
        token: await conf.token('TestUser'),
        event: validTestEvent({ event_id: eventId }),
      },
    );
  } finally {
    await page.close();
  }
}

describe('a producer page in headless Chromium', () => {
  it('posts an event from an allowed origin after the gateway answers the preflight', async () => {
    methodsSeen.length = 0;
    const outcome = await postFromPage(allowedPage.origin, 'browser-allowed');
    expect(outcome.error).toBeUndefined();
    expect(outcome.status).toBe(202);
    // Readable only because the gateway exposes it.
    expect(outcome.correlationId).toMatch(/^local-/);
    expect(methodsSeen).toEqual(['OPTIONS', 'POST']);
    expect(delivery.delivered.map((envelope) => envelope.payload)).toContainEqual(
      expect.objectContaining({ event_id: 'browser-allowed' }),
    );
  });

  it('is blocked from a forbidden origin: the preflight fails and the event is never sent', async () => {
    methodsSeen.length = 0;
    const before = delivery.delivered.length;
    const outcome = await postFromPage(forbiddenPage.origin, 'browser-forbidden');
    expect(outcome.status).toBeUndefined();
    expect(outcome.error).toMatch(/Failed to fetch/);
    expect(methodsSeen).toEqual(['OPTIONS']);
    expect(delivery.delivered.length).toBe(before);
  });

  it('posts a body it compressed itself with gzip', async () => {
    const outcome = await postGzipFromPage(allowedPage.origin, 'browser-gzip');
    expect(outcome.error).toBeUndefined();
    expect(outcome.status).toBe(202);
    expect(delivery.delivered.map((envelope) => envelope.payload)).toContainEqual(
      expect.objectContaining({ event_id: 'browser-gzip' }),
    );
  });
});

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../peers/postgres';
import { unusedPort } from '../../peers/unused-port';
import { lockedChildren, runCli, startCliRuntime, type CliRuntime } from '../../helpers/cli-runtime';

// The local runtime exactly as `npm start` runs it: the CLI process, its port, the shipped conf/,
// the embedded SQS server and (unless DATABASE_URL is set) the embedded database, all in their own
// processes. Nothing here is wired up differently from what a user gets.
jest.setTimeout(300_000);

const TOPIC = 'public.cps.za.test';
const TABLE = 'public_cps_za_test';

function testEvent(id: string): Record<string, unknown> {
  return {
    event_id: id,
    tenant_id: 'demo',
    source_app: 'cli-test',
    environment: 'dev',
    timestamp: 1767225600000,
  };
}

async function post(
  runtime: CliRuntime,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${runtime.url}/topics/${TOPIC}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${runtime.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Posts `count` events in batches of 100; returns the event ids the gateway answered 202 for. */
async function postBacklog(runtime: CliRuntime, prefix: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 100) {
    const batch = Array.from({ length: Math.min(100, count - start) }, (_, i) =>
      testEvent(`${prefix}-${start + i}`),
    );
    const response = await post(runtime, batch);
    expect(response.status).toBe(202);
    for (const result of response.body.results as Array<{ eventId: string }>) ids.push(result.eventId);
  }
  return ids;
}

async function rows(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows as Array<Record<string, unknown>>;
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') return []; // the table is made on first write
    throw error;
  } finally {
    await client.end();
  }
}

async function storedIds(url: string): Promise<string[]> {
  return (await rows(url, `SELECT event_id::text AS id FROM ${TABLE}`)).map((row) => row.id as string);
}

async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('npm start: the local runtime as a user runs it', () => {
  let root: string;
  const running: CliRuntime[] = [];
  const start = async (...args: Parameters<typeof startCliRuntime>): Promise<CliRuntime> => {
    const runtime = await startCliRuntime(...args);
    running.push(runtime);
    return runtime;
  };

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'eventgate-cli-'));
  });
  afterAll(async () => {
    for (const runtime of running) runtime.kill();
    await Promise.all(running.map((runtime) => runtime.exited));
    rmSync(root, { recursive: true, force: true });
  });

  describe('with the embedded database', () => {
    let runtime: CliRuntime;
    const stateDir = (): string => path.join(root, 'embedded');

    beforeAll(async () => {
      runtime = await start({ stateDir: stateDir() });
    });

    it('stores events sent before and after an idle gap longer than the pool idle timeout', async () => {
      const first = await post(runtime, testEvent('before-gap'));
      expect(first.status).toBe(202);
      expect(
        await eventually(
          () => storedIds(runtime.databaseUrl),
          (ids) => ids.length === 1,
        ),
      ).toEqual([first.body.eventId]);

      await sleep(15_000);

      const second = await post(runtime, testEvent('after-gap'));
      expect(second.status).toBe(202);
      const ids = await eventually(
        () => storedIds(runtime.databaseUrl),
        (stored) => stored.length === 2,
        20_000,
      );
      expect(ids.sort()).toEqual([first.body.eventId, second.body.eventId].sort());
      // The shipped configuration also projects the topic into a typed table: written across the gap too.
      const projected = await eventually(
        async () =>
          (await rows(runtime.databaseUrl, 'SELECT event_id FROM projections.public_cps_za_test')).map(
            (row) => row.event_id as string,
          ),
        (found) => found.length === 2,
        20_000,
      );
      expect(projected.sort()).toEqual(['after-gap', 'before-gap']);
    });

    it('serves several connections at once while the sink writes', async () => {
      const before = (await storedIds(runtime.databaseUrl)).length;
      const readers = Promise.all(
        Array.from({ length: 5 }, () => rows(runtime.databaseUrl, `SELECT count(*)::int AS n FROM ${TABLE}`)),
      );
      const accepted = await postBacklog(runtime, 'concurrent', 100);
      expect((await readers).every(([row]) => typeof row?.n === 'number')).toBe(true);
      const ids = await eventually(
        () => storedIds(runtime.databaseUrl),
        (stored) => stored.length === before + 100,
      );
      expect(ids).toEqual(expect.arrayContaining(accepted));
    });

    it('refuses a second runtime on the same state folder before starting anything', async () => {
      const second = await runCli(['dev', '--port', '0', '--state-dir', stateDir()], {
        stateDir: stateDir(),
      });
      expect(second.code).not.toBe(0);
      expect(second.output).toContain(`pid ${runtime.pid}`);
      expect(second.output).toContain(runtime.url);
      // The first one is untouched: still serving, its runtime.json still there for the CLI.
      expect((await fetch(`${runtime.url}/health`)).status).toBe(200);
      const backlog = await runCli(['backlog', '--local', '--json'], {
        stateDir: stateDir(),
        env: { EVENTGATE_STATE_DIR: stateDir() },
      });
      expect(backlog.code).toBe(0);
    });

    it.each([
      ['PORT=abc', [], { PORT: 'abc' }, 'PORT must be a port number (0 to 65535), got "abc"'],
      ['PORT=70000', [], { PORT: '70000' }, 'PORT must be a port number (0 to 65535), got "70000"'],
      ['--port 99999', ['--port', '99999'], {}, '--port must be a port number (0 to 65535), got "99999"'],
    ])('refuses %s before starting anything', async (_, flags, env, message) => {
      const other = path.join(root, 'bad-port');
      const refused = await runCli(['dev', '--state-dir', other, ...flags], { stateDir: other, env });
      expect(refused.code).toBe(2);
      expect(refused.output).toContain(message);
      expect(existsSync(other)).toBe(false);
    });

    it('on a port another program holds, says so and how to choose another, and leaves nothing locked', async () => {
      const port = Number(new URL(runtime.url).port);
      const other = path.join(root, 'taken-port');
      const second = await runCli(['dev', '--port', String(port), '--state-dir', other], { stateDir: other });
      expect(second.code).toBe(1);
      expect(second.output).toContain(`port ${port} on 127.0.0.1 is already in use by another program`);
      expect(second.output).toContain(`--port ${port + 1}`);
      expect(existsSync(path.join(other, 'runtime.lock'))).toBe(false);
      expect((await fetch(`${runtime.url}/health`)).status).toBe(200);
    });

    it('restarts a killed SQS server, names it in /health meanwhile, and keeps accepting', async () => {
      const [sqsPid] = await lockedChildren(stateDir());
      process.kill(sqsPid as number, 'SIGKILL');
      const degraded = await fetch(`${runtime.url}/health`);
      const during = (await degraded.json()) as { failures?: Record<string, string> };
      expect(degraded.status).toBe(503);
      expect(during.failures?.embedded_sqs).toMatch(/exited unexpectedly \(signal SIGKILL\)/);

      const healthy = await eventually(
        async () => (await fetch(`${runtime.url}/health`)).status,
        (status) => status === 200,
        20_000,
      );
      expect(healthy).toBe(200);
      const accepted = await post(runtime, testEvent('after-sqs-restart'));
      expect(accepted.status).toBe(202);
      const ids = await eventually(
        () => storedIds(runtime.databaseUrl),
        (stored) => stored.includes(accepted.body.eventId as string),
      );
      expect(ids).toContain(accepted.body.eventId);
    });

    it('stops on Ctrl-C and frees the state folder', async () => {
      runtime.interrupt();
      expect(await runtime.exited).toEqual({ code: 0, signal: null });
      const again = await start({ stateDir: stateDir() });
      expect((await storedIds(again.databaseUrl)).length).toBe(103);
      again.interrupt();
      expect((await again.exited).code).toBe(0);
    });
  });

  describe('with a backlog while the sink is down', () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase();
    });
    afterAll(async () => {
      await database?.drop();
    });

    it.each([
      ['kill -9', (runtime: CliRuntime) => runtime.kill()],
      ['Ctrl-C', (runtime: CliRuntime) => runtime.interrupt()],
    ])(
      'keeps 2,000 accepted events through %s and delivers each exactly once after restart',
      async (how, stop) => {
        const stateDir = path.join(root, `backlog-${how.replace(/\W+/g, '')}`);
        const down = `postgres://postgres@127.0.0.1:${await unusedPort()}/postgres`;
        const first = await start({ stateDir, env: { DATABASE_URL: down } });
        const before = new Set(await storedIds(database.url));
        const accepted = await postBacklog(first, `${how}`, 2_000);
        expect(new Set(accepted).size).toBe(2_000);

        stop(first);
        await first.exited;

        const second = await start({ stateDir, env: { DATABASE_URL: database.url } });
        const stored = await eventually(
          async () => (await storedIds(database.url)).filter((id) => !before.has(id)),
          (ids) => ids.length >= 2_000,
        );
        expect(stored.sort()).toEqual([...accepted].sort());
        // One row per event: no duplicates were stored, and nothing is left in the queues or DLQs.
        const [count] = await rows(database.url, `SELECT count(*)::int AS n FROM ${TABLE}`);
        expect(count?.n).toBe(before.size + 2_000);
        const backlog = await runCli(['backlog', '--local', '--json'], {
          stateDir,
          env: { EVENTGATE_STATE_DIR: stateDir },
        });
        expect(backlog.output).toContain('"postgres"');
        second.interrupt();
        expect((await second.exited).code).toBe(0);
      },
    );
  });
});

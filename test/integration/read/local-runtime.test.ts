import { startLocalRuntime, type LocalRuntime } from '../../../shared/local/runtime';
import { createTestConf, type TestConf } from '../../helpers/gateway';
import { runsPayload } from '../../helpers/projections';

/** The local runtime serves the read routes next to ingest, here against its embedded database. */
describe('read API in the local runtime (embedded Postgres)', () => {
  let conf: TestConf;
  let runtime: LocalRuntime;
  let auth: Record<string, string>;

  beforeAll(async () => {
    conf = await createTestConf();
    const env = { ...process.env };
    delete env.DATABASE_URL;
    runtime = await startLocalRuntime({
      port: 0,
      confDir: conf.dir,
      stateDir: `${conf.dir}/state`,
      ephemeralDatabase: true,
      env,
      topology: { maximumBatchingWindowSeconds: 0.1 },
    });
    auth = { authorization: `Bearer ${await conf.token('FooBarUser')}` };
  }, 90_000);

  afterAll(async () => {
    await runtime?.stop();
    conf?.cleanup();
  });

  test('an accepted runs event can be read back, listed and counted in stats', async () => {
    const payload = runsPayload(1, 2, Date.now() - 60_000);
    const posted = await fetch(`${runtime.url}/topics/public.cps.za.runs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    expect(posted.status).toBe(202);
    const { eventId } = (await posted.json()) as { eventId: string };

    let found: Response | undefined;
    for (let attempt = 0; attempt < 100; attempt++) {
      found = await fetch(`${runtime.url}/topics/public.cps.za.runs/events/${eventId}`, { headers: auth });
      if (found.status !== 404) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(found?.status).toBe(200);
    expect(((await found?.json()) as { event: { payload: unknown } }).event.payload).toEqual(payload);

    const list = await fetch(`${runtime.url}/topics/public.cps.za.runs/events?limit=10`, { headers: auth });
    expect(
      ((await list.json()) as { data: Array<{ eventId: string }> }).data.map((event) => event.eventId),
    ).toEqual([eventId]);

    // The projection tables are written right after the event table, in the same worker batch.
    let catalogs: string[] = [];
    for (let attempt = 0; attempt < 50 && catalogs.length < 2; attempt++) {
      const stats = await fetch(`${runtime.url}/stats/public.cps.za.runs`, {
        method: 'POST',
        headers: auth,
        body: '{}',
      });
      expect(stats.status).toBe(200);
      catalogs = ((await stats.json()) as { data: Array<{ catalog_id: string }> }).data.map(
        (row) => row.catalog_id,
      );
      if (catalogs.length < 2) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(catalogs).toEqual(['catalog-1-1', 'catalog-1-0']);
  }, 60_000);
});

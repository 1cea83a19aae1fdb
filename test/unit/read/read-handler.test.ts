import { createReadHandler } from '../../../shared/read/handler';
import type { ReadStoreSettings, RunJob, StoredEvent } from '../../../shared/read/store';
import { SINK_DEFINITIONS, SinkCatalog } from '../../../shared/sinks/catalog';
import { defineSink } from '../../../shared/sinks/definition';
import { createTestConf, v2Event, type TestConf } from '../../helpers/gateway';
import { MemoryEventStore } from '../../helpers/read-store';

const TEST = 'public.cps.za.test';
const RUNS = 'public.cps.za.runs';
const RUN_START = 1_767_225_600_000;

const shelved: StoredEvent = {
  eventId: '0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a',
  topic: TEST,
  receivedAt: '2026-01-01T00:00:00.000Z',
  subject: 'TestUser',
  correlationId: 'c-1',
  key: null,
  payload: { on: 'the shelf' },
  storedAt: '2026-01-01T00:00:01.000Z',
};

const job = (internalId: number, status: string, message: string | null): RunJob => ({
  eventId: 'run-1',
  jobRef: 'ref-1',
  tenantId: 'Dem',
  sourceApp: 'app',
  sourceAppVersion: '1.0',
  environment: 'dev',
  runTimestampStart: RUN_START,
  runTimestampEnd: RUN_START + 2_000,
  internalId,
  country: 'za',
  catalogId: `catalog-${internalId}`,
  status,
  timestampStart: RUN_START + 1_000,
  timestampEnd: RUN_START + 1_500,
  message,
  additionalInfo: { attempt: internalId },
});

interface ShelfOptions {
  label: string;
}
const opened: Array<{ options: ShelfOptions; settings: ReadStoreSettings; store: MemoryEventStore }> = [];

/** A sink that is only read from: its store is a MemoryEventStore holding `shelved` and two jobs. */
const shelfSink = defineSink<ShelfOptions>({
  name: 'shelf',
  settings: {
    properties: {
      shelf: {
        type: 'object',
        additionalProperties: false,
        required: ['label'],
        properties: { label: { type: 'string' } },
      },
    },
  },
  configuredBy: 'shelf.label',
  isConfigured: (config) => config.shelf !== undefined,
  clientOptions: (config) => config.shelf as ShelfOptions | undefined,
  createSink: () => {
    throw new Error('nothing writes to the shelf in these tests');
  },
  createReadStore: (options, settings) => {
    const jobs = new Map([[RUNS, [job(8, 'failed', 'No data found'), job(7, 'succeeded', null)]]]);
    const store = new MemoryEventStore([shelved], jobs);
    opened.push({ options, settings, store });
    return store;
  },
  clientPackages: [],
  deploy: { parameters: {}, contribute: () => ({ environment: {}, statements: [] }) },
});

/** The shipped sinks with the read API moved from postgres to the shelf. */
const readingShelf = new SinkCatalog([
  ...SINK_DEFINITIONS.map(({ readStore: _readStore, ...definition }) => definition),
  shelfSink,
]);

describe('the read handler', () => {
  let conf: TestConf;
  // Postgres is configured too: only the catalog tells the handler to read the shelf instead.
  const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };

  beforeEach(async () => {
    conf = await createTestConf();
    opened.length = 0;
  });
  afterEach(() => conf.cleanup());

  const call = async (
    read: ReturnType<typeof createReadHandler>,
    method: string,
    path: string,
    subject: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await read(
      v2Event({
        method,
        path,
        headers: { authorization: `Bearer ${await conf.token(subject)}` },
        body: body === undefined ? null : JSON.stringify(body),
      }),
    );
    return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
  };

  test('answers from the store of the sink the catalog says serves reads', async () => {
    conf.setConfig({ shelf: { label: 'top' } });
    const read = createReadHandler({ confDir: conf.dir, env, catalog: readingShelf, store: { poolMax: 1 } });

    const one = await call(read, 'GET', `/topics/${TEST}/events/${shelved.eventId}`, 'TestUser');
    expect(one).toMatchObject({
      status: 200,
      body: { event: shelved, deliveries: [{ sink: 'shelf', status: 'delivered', at: shelved.storedAt }] },
    });
    const page = await call(read, 'GET', `/topics/${TEST}/events`, 'TestUser');
    expect(page).toMatchObject({
      status: 200,
      body: { data: [shelved], pagination: { cursor: null, has_more: false, limit: 50 } },
    });

    // Opened once, from the sink's own options, with the handler's connection settings.
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ options: { label: 'top' }, settings: { poolMax: 1 } });
  });

  test('answers stats in the Python shape from the run jobs the store hands over', async () => {
    conf.setConfig({ shelf: { label: 'top' } });
    const read = createReadHandler({ confDir: conf.dir, env, catalog: readingShelf });

    const answer = await call(read, 'POST', `/stats/${RUNS}`, 'FooBarUser', { limit: 1 });
    expect(answer.status).toBe(200);
    expect(answer.body.pagination).toEqual({ cursor: 8, has_more: true, limit: 1 });
    expect(answer.body.data).toEqual([
      {
        event_id: 'run-1',
        job_ref: 'ref-1',
        tenant_id: 'Dem',
        source_app: 'app',
        source_app_version: '1.0',
        environment: 'dev',
        run_timestamp_start: RUN_START,
        run_timestamp_end: RUN_START + 2_000,
        internal_id: 8,
        country: 'za',
        catalog_id: 'catalog-8',
        status: 'failed',
        timestamp_start: RUN_START + 1_000,
        timestamp_end: RUN_START + 1_500,
        message: 'No data found',
        additional_info: { attempt: 8 },
        run_date: '01-01-2026',
        run_status: 'no data received',
        formatted_tenant: 'dem',
        elapsed_time: 500,
        start_time: '2026-01-01 00:00:01',
        end_time: '2026-01-01 00:00:01',
      },
    ]);
    // Topics the store does not name are refused with the list it does name.
    const other = await call(read, 'POST', `/stats/${TEST}`, 'TestUser', {});
    expect(other.status).toBe(400);
    expect(JSON.stringify(other.body)).toContain(`Stats are only supported for topics '${RUNS}'.`);
  });

  test('is a 503 while the sink that serves reads is not configured', async () => {
    const read = createReadHandler({ confDir: conf.dir, env, catalog: readingShelf });
    const answer = await call(read, 'GET', `/topics/${TEST}/events`, 'TestUser');
    expect(answer).toMatchObject({
      status: 503,
      body: { success: false, statusCode: 503, errors: [{ type: 'database' }] },
    });
    expect(opened).toHaveLength(0);
  });

  test('needs a catalog with a sink that serves reads', () => {
    const noReader = new SinkCatalog(
      SINK_DEFINITIONS.map(({ readStore: _readStore, ...definition }) => definition),
    );
    expect(() => createReadHandler({ confDir: conf.dir, env, catalog: noReader })).toThrow(
      'no sink of the catalog serves reads',
    );
  });
});

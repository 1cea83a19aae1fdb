import { createEnvelope } from '../../../shared/envelope';
import { PostgresSink } from '../../../shared/sinks/postgres/sink';
import { MIGRATIONS_TABLE } from '../../../shared/sinks/postgres/migrations';
import { createTestDatabase, type TestDatabase } from '../../peers/postgres';

// Tables made before the cloud_event column existed are brought up to date in place.
describe('an event table of the first version', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('gains the cloud_event column, keeps its rows, and stores CloudEvents attributes', async () => {
    await database.query(`CREATE TABLE old_topic (
      event_id uuid PRIMARY KEY, topic text NOT NULL, received_at timestamptz NOT NULL, subject text,
      correlation_id text, event_key text, payload jsonb NOT NULL, inserted_at timestamptz NOT NULL DEFAULT now())`);
    await database.query(`CREATE TABLE ${MIGRATIONS_TABLE} (table_name text NOT NULL, version integer NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (table_name, version))`);
    await database.query(`INSERT INTO ${MIGRATIONS_TABLE} (table_name, version) VALUES ('old_topic', 1)`);
    await database.query(
      `INSERT INTO old_topic (event_id, topic, received_at, payload) VALUES ('00000000-0000-4000-8000-000000000001', 'old.topic', now(), '{"old":true}')`,
    );

    const sink = new PostgresSink({ connectionString: database.url, tables: { 'old.topic': 'old_topic' } });
    const event = createEnvelope({
      topic: 'old.topic',
      payload: { new: true },
      subject: 's',
      correlationId: 'c',
    });
    event.cloudEvent = { specversion: '1.0', id: 'x-1', source: '/old', type: 't' };
    try {
      const outcomes = await sink.write([event]);
      expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    } finally {
      await sink.close();
    }
    const rows = await database.query('SELECT payload, cloud_event FROM old_topic ORDER BY received_at');
    expect(rows).toEqual([
      { payload: { old: true }, cloud_event: null },
      { payload: { new: true }, cloud_event: { specversion: '1.0', id: 'x-1', source: '/old', type: 't' } },
    ]);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../shared/config/load';
import { ConfigValidationError } from '../../../shared/config/errors';
import { checkConfig, parseConfig } from '../../../shared/config/parse';
import { CONFIG_DEFAULTS } from '../../../shared/config/schema';

function problemsOf(document: unknown): string[] {
  try {
    parseConfig(document, 'config.json');
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems.map((problem) => problem.message);
    throw error;
  }
  return [];
}

describe('parseConfig', () => {
  test('fills in every default of the gateway, and leaves its input as it was', () => {
    const document = { topics: { orders: { mode: 'sync' } } };
    const config = parseConfig(document, 'config.json');
    expect(config).toMatchObject({ ...CONFIG_DEFAULTS, topics: { orders: { mode: 'sync' } } });
    expect(document).toEqual({ topics: { orders: { mode: 'sync' } } });
  });

  test('keeps what the document says over the defaults', () => {
    const config = parseConfig({ max_batch_events: 10, reload_ttl_seconds: 0 }, 'config.json');
    expect(config.max_batch_events).toBe(10);
    expect(config.reload_ttl_seconds).toBe(0);
  });

  test('reads the legacy spelling of the key URL', () => {
    expect(parseConfig({ token_public_key_url: 'keys.json' }, 'c').token_public_keys_url).toBe('keys.json');
  });

  test('reports every problem at once, each with where it is', () => {
    const problems = problemsOf({
      max_batch_events: 0,
      max_body_bytes: 1.5,
      topics: {
        a: { max_event_bytes: -5 },
        b: { max_event_bytes: 'big', mode: 'later', sinks: ['rabbitmq'] },
      },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        '/max_batch_events must be >= 1',
        '/max_body_bytes must be integer',
        '/topics/a/max_event_bytes must be >= 1',
        '/topics/b/max_event_bytes must be integer',
        '/topics/b/mode must be one of "sync", "async"',
        '/topics/b/sinks/0 must be one of "kafka", "eventbridge", "postgres", "s3"',
      ]),
    );
    expect(problems).toHaveLength(6);
  });

  test("checks each sink's own keys with the schema from its definition", () => {
    expect(
      problemsOf({
        kafka: { compression: 'snappy', sasl: { username: 'u' } },
        s3_archive: { prefix: 'events' },
        postgres: { pool_max: 0 },
        eventbridge: { source: '' },
      }),
    ).toEqual(
      expect.arrayContaining([
        '/kafka/compression must be one of "none", "gzip"',
        '/kafka/sasl must have "mechanism"',
        '/s3_archive must have "bucket"',
        '/postgres/pool_max must be >= 1',
        '/eventbridge/source must NOT have fewer than 1 characters',
      ]),
    );
  });

  test('refuses a document that is not an object', () => {
    expect(problemsOf([1, 2])).toEqual(['must hold a JSON object']);
  });

  test('ignores unknown keys when loading, and reports them when asked to', () => {
    const document = { max_body_byte: 10, kafka: { acks: 1 } };
    expect(problemsOf(document)).toEqual([]);
    const { problems } = checkConfig(document, { unknownKeys: 'reject' });
    expect(problems).toEqual([
      { pointer: '', key: 'max_body_byte', message: 'config has unknown key "max_body_byte"' },
      { pointer: '/kafka', key: 'acks', message: '/kafka has unknown key "acks"' },
    ]);
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'eventgate-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("applies each sink's environment overrides, then checks and completes the result", async () => {
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ s3_archive: { bucket: 'b', prefix: 'p' } }),
    );
    const config = await loadConfig(dir, {
      KAFKA_BOOTSTRAP_SERVER: 'k:9092',
      EVENT_BUS_ARN: 'arn:aws:events:eu-west-1:123456789012:event-bus/x',
      ARCHIVE_PREFIX: 'archive',
    });
    expect(config).toMatchObject({
      kafka_bootstrap_server: 'k:9092',
      event_bus_arn: 'arn:aws:events:eu-west-1:123456789012:event-bus/x',
      s3_archive: { bucket: 'b', prefix: 'archive' },
      max_batch_events: CONFIG_DEFAULTS.max_batch_events,
    });
  });

  test('refuses a configuration whose event size limit is not a number, naming the file', async () => {
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ topics: { t: { max_event_bytes: 'big' } } }));
    await expect(loadConfig(dir, {})).rejects.toThrow(`${file}: /topics/t/max_event_bytes must be integer`);
  });
});

import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateConfiguration } from '../../../shared/cli/validate';
import { main } from '../../../shared/cli/main';

const REPO_CONF = path.join(__dirname, '..', '..', '..', 'conf');

describe('eventgate validate', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'eventgate-validate-'));
    cpSync(REPO_CONF, dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds nothing wrong with the shipped configuration', async () => {
    expect(await validateConfiguration(dir, { EVENTGATE_SINKS: 'postgres' })).toEqual([]);
  });

  it('reports a JSON syntax error with its file and line', async () => {
    writeFileSync(path.join(dir, 'topics', 'broken.json'), '{\n  "type": "object",\n  "properties": {,\n}\n');
    const problems = await validateConfiguration(dir, { EVENTGATE_SINKS: 'postgres' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: path.join(dir, 'topics', 'broken.json'), line: 3 });
  });

  it('reports an unsafe schema and a bad access-map pattern, each in its own file', async () => {
    writeFileSync(
      path.join(dir, 'topics', 'unsafe.json'),
      JSON.stringify({ type: 'object', properties: { s: { type: 'string', pattern: '^a+$' } } }, null, 2),
    );
    writeFileSync(
      path.join(dir, 'access.json'),
      JSON.stringify({ t: { someone: { f: ['(unclosed'] } } }, null, 2),
    );
    const problems = await validateConfiguration(dir, { EVENTGATE_SINKS: 'postgres' });
    const files = problems.map((problem) => path.basename(problem.file)).sort();
    expect(files).toEqual(['access.json', 'unsafe.json']);
    expect(problems.find((problem) => problem.file.endsWith('unsafe.json'))?.line).toBeGreaterThan(1);
  });

  it('reports every bad value of config.json in one run, each at its own line', async () => {
    const config = {
      max_batch_events: 0,
      max_body_byets: 10,
      topics: {
        'public.cps.za.test': { mode: 'async', max_event_bytes: -5 },
        'public.cps.za.runs': { max_event_bytes: 'big' },
      },
      kafka: { compression: 'snappy' },
    };
    const text = JSON.stringify(config, null, 2);
    writeFileSync(path.join(dir, 'config.json'), text);
    const lineOf = (needle: string): number => text.slice(0, text.indexOf(needle)).split('\n').length;

    const problems = await validateConfiguration(dir, { EVENTGATE_SINKS: 'postgres' });
    const file = path.join(dir, 'config.json');
    expect(problems).toEqual([
      { file, line: lineOf('"max_batch_events"'), message: '/max_batch_events must be >= 1' },
      { file, line: lineOf('"max_body_byets"'), message: 'config has unknown key "max_body_byets"' },
      {
        file,
        line: lineOf('-5'),
        message: '/topics/public.cps.za.test/max_event_bytes must be >= 1',
      },
      {
        file,
        line: lineOf('"big"'),
        message: '/topics/public.cps.za.runs/max_event_bytes must be integer',
      },
      { file, line: lineOf('"snappy"'), message: '/kafka/compression must be one of "none", "gzip"' },
    ]);
  });

  it('points an unsafe schema at the keyword that makes it unsafe', async () => {
    const text = JSON.stringify(
      {
        type: 'object',
        properties: { fine: { type: 'integer' }, s: { type: 'string', pattern: '^a+$' } },
      },
      null,
      2,
    );
    writeFileSync(path.join(dir, 'topics', 'unsafe.json'), text);
    const problems = await validateConfiguration(dir, { EVENTGATE_SINKS: 'postgres' });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.line).toBe(text.slice(0, text.indexOf('"s"')).split('\n').length);
  });

  it('is reached through the CLI dispatcher, which exits 2 on an unknown command', async () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const logs = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await main(['nonsense'])).toBe(2);
      expect(await main(['validate', '--conf', dir])).toBe(0);
      writeFileSync(path.join(dir, 'config.json'), '{ not json');
      expect(await main(['validate', '--conf', dir])).toBe(1);
    } finally {
      errors.mockRestore();
      logs.mockRestore();
    }
  });
});

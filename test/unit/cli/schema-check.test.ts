import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../../shared/cli/main';
import { validateConfiguration } from '../../../shared/cli/validate';
import { GatewayStateLoader } from '../../../shared/gateway/state';

const REPO_CONF = path.join(__dirname, '..', '..', '..', 'conf');
const TOPIC = 'public.cps.za.test';

let dir: string;
let printed: string[];
let errors: string[];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'eventgate-schema-check-'));
  cpSync(REPO_CONF, dir, { recursive: true });
  printed = [];
  errors = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
  jest.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
});
afterEach(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

function shipped(): Record<string, unknown> & { properties: Record<string, unknown>; required: string[] } {
  return JSON.parse(readFileSync(path.join(dir, 'topics', `${TOPIC}.json`), 'utf8'));
}

function candidate(schema: unknown): string {
  const file = path.join(dir, 'candidate.json');
  writeFileSync(file, JSON.stringify(schema, null, 2));
  return file;
}

function setTopic(settings: Record<string, unknown>): void {
  const file = path.join(dir, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8'));
  config.topics[TOPIC] = { ...config.topics[TOPIC], ...settings };
  writeFileSync(file, JSON.stringify(config, null, 2));
}

describe('eventgate schema check', () => {
  it('prints each incompatibility with its JSON pointer and exits 1', async () => {
    const next = shipped();
    next.required = [...next.required, 'additional_info'];
    next.properties.timestamp = { type: 'integer', minimum: 0 };
    const code = await main(['schema', 'check', TOPIC, candidate(next), '--conf', dir]);
    expect(code).toBe(1);
    expect(printed).toEqual([
      "/required: 'additional_info' is now required (breaks backward compatibility with version 1)",
      '/properties/timestamp/type: type no longer accepts number (breaks backward compatibility with version 1)',
      '/properties/timestamp/minimum: minimum tightened from none to 0 (breaks backward compatibility with version 1)',
    ]);
    expect(errors.join('\n')).toMatch(
      /3 incompatibilities: .* cannot become version 2 of public.cps.za.test/,
    );
  });

  it('exits 0 for a compatible schema and names the file to publish it as', async () => {
    const next = shipped();
    next.properties.timestamp = { type: ['number', 'null'] };
    expect(await main(['schema', 'check', TOPIC, candidate(next), '--conf', dir])).toBe(0);
    expect(printed.join('\n')).toMatch(/publish it as topics\/public.cps.za.test\/2.json/);
  });

  it('follows the topic mode in config.json, and --mode overrides it', async () => {
    const next = shipped();
    next.properties.timestamp = { type: ['number', 'null'] };
    setTopic({ compatibility: 'forward' });
    expect(await main(['schema', 'check', TOPIC, candidate(next), '--conf', dir])).toBe(1);
    expect(printed[0]).toMatch(/^\/properties\/timestamp\/type: type now also accepts null .*forward/);
    expect(await main(['schema', 'check', TOPIC, candidate(next), '--conf', dir, '--mode', 'none'])).toBe(0);
  });

  it('refuses an unsafe candidate, an unknown topic and bad arguments', async () => {
    const unsafe = { type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' } } };
    expect(await main(['schema', 'check', TOPIC, candidate(unsafe), '--conf', dir])).toBe(1);
    expect(errors.join('\n')).toMatch(/not safe/);
    expect(await main(['schema', 'check', 'no.such.topic', candidate({}), '--conf', dir])).toBe(2);
    expect(await main(['schema', 'check', TOPIC])).toBe(2);
    expect(await main(['schema', 'check', TOPIC, candidate({}), '--mode', 'sideways'])).toBe(2);
    expect(await main(['schema', 'frobnicate'])).toBe(2);
  });
});

describe('a topic whose versions break its mode', () => {
  function breakingVersion(): void {
    mkdirSync(path.join(dir, 'topics', TOPIC));
    renameSync(path.join(dir, 'topics', `${TOPIC}.json`), path.join(dir, 'topics', TOPIC, '1.json'));
    const next = shipped2();
    next.required = [...next.required, 'additional_info'];
    writeFileSync(path.join(dir, 'topics', TOPIC, '2.json'), JSON.stringify(next, null, 2));
  }
  function shipped2(): Record<string, unknown> & { required: string[] } {
    return JSON.parse(readFileSync(path.join(dir, 'topics', TOPIC, '1.json'), 'utf8'));
  }

  it('is refused when the configuration loads, naming the pointer and the versions', async () => {
    breakingVersion();
    const loader = new GatewayStateLoader({ confDir: dir, env: { EVENTGATE_SINKS: 'postgres' } });
    await expect(loader.current()).rejects.toThrow(
      /topic "public.cps.za.test": \/required: 'additional_info' is now required \(version 2 breaks backward compatibility with version 1\)/,
    );
  });

  it('is reported by eventgate validate on the later version file', async () => {
    breakingVersion();
    const problems = await validateConfiguration(dir, { EVENTGATE_SINKS: 'postgres' });
    expect(problems).toEqual([
      expect.objectContaining({
        file: path.join(dir, 'topics', TOPIC, '2.json'),
        message: expect.stringMatching(/^\/required: 'additional_info' is now required/),
      }),
    ]);
    expect(problems[0]?.line).toBeGreaterThan(1);
  });

  it('loads once the mode allows it, or once the broken version is retired', async () => {
    breakingVersion();
    setTopic({ compatibility: 'forward' });
    expect(await validateConfiguration(dir, { EVENTGATE_SINKS: 'postgres' })).toEqual([]);
    setTopic({ compatibility: 'backward', retired_versions: [1] });
    const state = await new GatewayStateLoader({
      confDir: dir,
      env: { EVENTGATE_SINKS: 'postgres' },
    }).current();
    expect(state.topics.get(TOPIC)?.versions.current.version).toBe(2);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { locateQueues } from '../../../shared/cli/queues';
import { resolveStateDir, runtimeInfoFile } from '../../../shared/local/state-folder';

describe('resolveStateDir', () => {
  const cwd = path.join(path.sep, 'work', 'project');

  it('is ./.eventgate without anything set', () => {
    expect(resolveStateDir({ env: {}, cwd })).toBe(path.join(cwd, '.eventgate'));
  });

  it('takes EVENTGATE_STATE_DIR, relative to the working directory', () => {
    expect(resolveStateDir({ env: { EVENTGATE_STATE_DIR: '/var/lib/eventgate' }, cwd })).toBe(
      path.resolve('/var/lib/eventgate'),
    );
    expect(resolveStateDir({ env: { EVENTGATE_STATE_DIR: 'state' }, cwd })).toBe(path.join(cwd, 'state'));
  });

  it('prefers --state-dir to the environment', () => {
    const env = { EVENTGATE_STATE_DIR: '/from/env' };
    expect(resolveStateDir({ explicit: 'mine', env, cwd })).toBe(path.join(cwd, 'mine'));
  });

  it('treats empty values as unset', () => {
    expect(resolveStateDir({ explicit: '', env: { EVENTGATE_STATE_DIR: '' }, cwd })).toBe(
      path.join(cwd, '.eventgate'),
    );
    expect(resolveStateDir({ explicit: '', env: { EVENTGATE_STATE_DIR: 'state' }, cwd })).toBe(
      path.join(cwd, 'state'),
    );
  });

  it('defaults to the process environment and working directory', () => {
    const saved = process.env.EVENTGATE_STATE_DIR;
    delete process.env.EVENTGATE_STATE_DIR;
    try {
      expect(resolveStateDir()).toBe(path.join(process.cwd(), '.eventgate'));
    } finally {
      if (saved !== undefined) process.env.EVENTGATE_STATE_DIR = saved;
    }
  });
});

describe('the --local commands find the runtime where the rule puts it', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'eventgate-state-folder-'));
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** What a runtime started with these inputs leaves behind: runtime.json in its state folder. */
  function runtimeStartedWith(inputs: { env: NodeJS.ProcessEnv; cwd: string }): void {
    const stateDir = resolveStateDir(inputs);
    mkdirSync(stateDir, { recursive: true });
    const queues = { kafka: { queueUrl: 'http://127.0.0.1:1/q', dlqUrl: 'http://127.0.0.1:1/q-dlq' } };
    writeFileSync(
      runtimeInfoFile(stateDir),
      JSON.stringify({
        url: 'http://127.0.0.1:2',
        region: 'us-east-1',
        sqsEndpoint: 'http://127.0.0.1:1',
        queues,
      }),
    );
  }

  it.each([
    ['nothing set', {}],
    ['an absolute EVENTGATE_STATE_DIR', { EVENTGATE_STATE_DIR: '<root>/elsewhere' }],
    ['a relative EVENTGATE_STATE_DIR', { EVENTGATE_STATE_DIR: 'relative/state' }],
    ['an empty EVENTGATE_STATE_DIR', { EVENTGATE_STATE_DIR: '' }],
  ])('with %s', async (_, template: NodeJS.ProcessEnv) => {
    const env = Object.fromEntries(
      Object.entries(template).map(([name, value]) => [name, value?.replace('<root>', root)]),
    );
    const cwd = path.join(root, 'project');
    runtimeStartedWith({ env, cwd });

    const location = await locateQueues({ local: true, env, cwd }, ['kafka']);
    try {
      expect(location.sinks).toEqual([
        { sink: 'kafka', queueUrl: 'http://127.0.0.1:1/q', dlqUrl: 'http://127.0.0.1:1/q-dlq' },
      ]);
    } finally {
      location.client.destroy();
    }
  });
});

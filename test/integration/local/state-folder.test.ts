import { existsSync } from 'node:fs';
import path from 'node:path';
import { runBacklog } from '../../../shared/cli/backlog';
import { runReplay } from '../../../shared/cli/replay';
import { startLocalRuntime, type LocalRuntime } from '../../../shared/local/runtime';
import { resolveStateDir } from '../../../shared/local/state-folder';
import { createTestConf, type TestConf } from '../../helpers/gateway';
import { recordIo } from '../cli/sink-queues';

/**
 * A runtime started with EVENTGATE_STATE_DIR and the `--local` commands run with the same variable
 * meet in one folder: the runtime puts runtime.json where the commands look for it.
 */
describe('the state folder of a runtime started from EVENTGATE_STATE_DIR', () => {
  let conf: TestConf;
  let runtime: LocalRuntime;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    conf = await createTestConf();
    env = { ...process.env, EVENTGATE_STATE_DIR: path.join(conf.dir, 'from-environment') };
    delete env.DATABASE_URL;
    runtime = await startLocalRuntime({
      port: 0,
      confDir: conf.dir,
      ephemeralDatabase: true,
      ephemeralQueues: true,
      env,
    });
  }, 90_000);

  afterAll(async () => {
    await runtime?.stop();
    conf?.cleanup();
  });

  it('is the folder the rule names, holding the runtime description and the dev key', () => {
    expect(runtime.stateDir).toBe(resolveStateDir({ env }));
    expect(existsSync(path.join(runtime.stateDir, 'runtime.json'))).toBe(true);
    expect(existsSync(path.join(runtime.stateDir, 'dev-signing-key.json'))).toBe(true);
  });

  it('is where backlog --local finds the queues', async () => {
    const io = recordIo();
    const code = await runBacklog(['--local', '--json'], {
      io,
      env: { EVENTGATE_STATE_DIR: env.EVENTGATE_STATE_DIR },
    });
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    const report = JSON.parse(io.stdout.join('\n')) as { sinks: Array<{ sink: string; queueUrl: string }> };
    expect(report.sinks.map((row) => row.queueUrl).sort()).toEqual(
      Object.values(runtime.queues)
        .map((queue) => queue.queueUrl)
        .sort(),
    );
  });

  it('is where replay --local finds the queues', async () => {
    const io = recordIo();
    const code = await runReplay(['postgres', '--local', '--dry-run', '--json'], {
      io,
      env: { EVENTGATE_STATE_DIR: env.EVENTGATE_STATE_DIR },
      redrive: { waitTimeSeconds: 0 },
    });
    expect(code).toBe(0);
    expect(JSON.parse(io.stdout.join('\n'))).toMatchObject({
      sink: 'postgres',
      from: runtime.queues.postgres?.dlqUrl,
      to: runtime.queues.postgres?.queueUrl,
    });
  });

  it('is where the --local commands look when given --state-dir, whatever the environment says', async () => {
    const elsewhere = { EVENTGATE_STATE_DIR: path.join(conf.dir, 'not-the-runtime') };
    const lost = recordIo();
    expect(await runBacklog(['--local', '--json'], { io: lost, env: elsewhere })).toBe(1);
    expect(lost.stderr.join('\n')).toMatch(/runtime\.json|not running|npm start/i);

    const io = recordIo();
    const code = await runBacklog(['--local', '--state-dir', runtime.stateDir, '--json'], {
      io,
      env: elsewhere,
    });
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    const report = JSON.parse(io.stdout.join('\n')) as { sinks: Array<{ queueUrl: string }> };
    expect(report.sinks.map((row) => row.queueUrl).sort()).toEqual(
      Object.values(runtime.queues)
        .map((queue) => queue.queueUrl)
        .sort(),
    );
  });

  it('refuses --state-dir without --local', async () => {
    const io = recordIo();
    expect(await runBacklog(['--state-dir', runtime.stateDir], { io, env: {} })).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/--state-dir goes with --local/);
  });
});

import { spawn, spawnSync } from 'node:child_process';

export interface KafkaMockHandle {
  /** `127.0.0.1:PORT` of each mock broker. */
  brokers: string[];
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 3_000;

function kcatInstalled(): boolean {
  return spawnSync('kcat', ['-V'], { stdio: 'ignore' }).error === undefined;
}

/**
 * librdkafka's mock cluster, hosted by a kcat consumer: it speaks the real Kafka protocol on
 * 127.0.0.1 and auto-creates topics (4 partitions). The consumer itself only keeps the process
 * alive. Idempotent and transactional producers do not work against it.
 */
export async function startKafkaMock(brokerCount = 3): Promise<KafkaMockHandle> {
  if (!kcatInstalled()) {
    throw new Error('kcat is not installed; the Kafka tests need its mock cluster: apt-get install -y kcat');
  }
  // -b is required by kcat but ignored once the mock cluster is enabled.
  const child = spawn(
    'kcat',
    [
      '-b',
      '127.0.0.1:1',
      '-X',
      `test.mock.num.brokers=${brokerCount}`,
      '-d',
      'mock',
      '-C',
      '-t',
      '__keepalive',
      '-o',
      'end',
      '-q',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // 'close' comes after the exit and after its pipes are closed: nothing of the child is left open.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const forced = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(forced);
  };

  try {
    const brokers = await new Promise<string[]>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(
        () =>
          reject(new Error(`kcat mock cluster did not report its brokers within ${STARTUP_TIMEOUT_MS} ms`)),
        STARTUP_TIMEOUT_MS,
      );
      const onData = (chunk: Buffer): void => {
        log += chunk.toString('utf8');
        const match = /bootstrap\.servers=(\S+)/.exec(log);
        if (match) {
          clearTimeout(timer);
          // Keep draining the debug log so the pipe never fills and blocks the brokers.
          child.stderr.off('data', onData);
          child.stderr.resume();
          resolve((match[1] as string).split(','));
        } else if (log.length > 1_000_000) {
          log = log.slice(-10_000);
        }
      };
      child.stderr.on('data', onData);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`kcat exited early (code ${code}, signal ${signal}): ${log.slice(-2_000)}`));
      });
    });
    return { brokers, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

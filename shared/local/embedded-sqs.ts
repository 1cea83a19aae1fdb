import { spawn } from 'node:child_process';
import path from 'node:path';

export interface EmbeddedSqs {
  /** `http://127.0.0.1:PORT`; serves the SQS JSON protocol and path-style S3. */
  endpoint: string;
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 3_000;
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

// fauxqs is an ES module and some hosts of this code (Jest's CommonJS runtime) cannot load one, so it
// runs in a child Node process bound to loopback. Closing its stdin stops it, which also happens when
// this process dies, so it never outlives us.
const LAUNCHER = `
import { buildApp } from 'fauxqs';
const app = buildApp({ logger: false });
const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.FAUXQS_PORT ?? 0) });
process.stdout.write(JSON.stringify({ address }) + '\\n');
const shutdown = () => app.close().then(() => process.exit(0), () => process.exit(1));
process.stdin.on('end', shutdown);
process.stdin.resume();
process.on('SIGTERM', shutdown);
process.on('SIGINT', () => undefined);
`;

/** An SQS (and S3) compatible server, fauxqs, on 127.0.0.1. In memory: its state ends with it. */
export async function startEmbeddedSqs(options: { port?: number } = {}): Promise<EmbeddedSqs> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', LAUNCHER], {
    cwd: PROJECT_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, FAUXQS_PORT: String(options.port ?? 0) },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin.end();
    const forced = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(forced);
  };

  try {
    const address = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(
        () => reject(new Error(`the SQS server did not start within ${STARTUP_TIMEOUT_MS} ms: ${stderr}`)),
        STARTUP_TIMEOUT_MS,
      );
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        const newline = stdout.indexOf('\n');
        if (newline < 0) return;
        clearTimeout(timer);
        try {
          resolve((JSON.parse(stdout.slice(0, newline)) as { address: string }).address);
        } catch {
          reject(new Error(`the SQS server printed an unexpected line: ${stdout.slice(0, newline)}`));
        }
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the SQS server exited early (code ${code}, signal ${signal}): ${stderr}`));
      });
    });
    return { endpoint: address.replace('localhost', '127.0.0.1'), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

import { spawn } from 'node:child_process';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';

export const FAUXQS_REGION = 'us-east-1';

/** What an AWS SDK client needs to talk to fauxqs (any credentials are accepted). */
export interface FauxqsClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface FauxqsHandle {
  /** `http://127.0.0.1:PORT`, serving SQS and S3 (path-style) on one port. */
  endpoint: string;
  clientConfig: FauxqsClientConfig;
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 3_000;
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

// fauxqs is ESM-only and Jest's CommonJS runtime cannot load it, so it runs in its own Node
// process. It stops when its stdin closes, which also happens if the test process dies.
const LAUNCHER = `
import { buildApp } from 'fauxqs';
const app = buildApp({ logger: false });
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(JSON.stringify({ address }) + '\\n');
const shutdown = () => app.close().then(() => process.exit(0), () => process.exit(1));
process.stdin.on('end', shutdown);
process.stdin.resume();
process.on('SIGTERM', shutdown);
`;

export function fauxqsClientConfig(endpoint: string): FauxqsClientConfig {
  return { endpoint, region: FAUXQS_REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
}

export function fauxqsSqsClient(endpoint: string): SQSClient {
  return new SQSClient(fauxqsClientConfig(endpoint));
}

/** fauxqs serves S3 path-style only (bucket names do not resolve as hosts on 127.0.0.1). */
export function fauxqsS3Client(endpoint: string): S3Client {
  return new S3Client({ ...fauxqsClientConfig(endpoint), forcePathStyle: true });
}

/** An SQS + S3 emulator (fauxqs 1.9.2) on 127.0.0.1, in memory: its state ends with it. */
export async function startFauxqs(): Promise<FauxqsHandle> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', LAUNCHER], {
    cwd: PROJECT_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // 'close' comes after the exit and after its pipes are closed: nothing of the child is left open.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
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
        () => reject(new Error(`fauxqs did not start within ${STARTUP_TIMEOUT_MS} ms: ${stderr}`)),
        STARTUP_TIMEOUT_MS,
      );
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        const line = stdout.split('\n')[0];
        if (line === undefined || !stdout.includes('\n')) return;
        clearTimeout(timer);
        try {
          resolve((JSON.parse(line) as { address: string }).address);
        } catch {
          reject(new Error(`fauxqs printed an unexpected line: ${line}`));
        }
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`fauxqs exited early (code ${code}, signal ${signal}): ${stderr}`));
      });
    });
    const endpoint = address.replace('localhost', '127.0.0.1');
    return { endpoint, clientConfig: fauxqsClientConfig(endpoint), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { readZip } from './zip';

const execFileAsync = promisify(execFile);

/** Strings that survive minification: kafkajs names its errors, pg requires its optional native driver. */
const CLIENT_MARKERS = { kafkajs: /KafkaJS/, pg: /["']pg-native["']/ };

/**
 * Whether a file of a deployment zip is a function's own bundle (`functions/ingest.js`), not one of
 * the files it loads on first use (`functions/ingest.openapi.js`).
 */
export function isFunctionBundle(name: string): boolean {
  return /^functions\/(?:workers\/)?[^./]+\.js$/.test(name);
}

/** The files a function's bundle loads on first use, beside it in the zip. */
export function lazyFilesOf(files: Iterable<string>, entry: string): string[] {
  const prefix = entry.slice(0, -'.js'.length);
  return [...files]
    .filter((name) => name.startsWith(`${prefix}.`) && name !== entry && name.endsWith('.js'))
    .sort();
}

export interface UnpackedBundle {
  /** Where the zip was unpacked, as Lambda unpacks it into /var/task. */
  directory: string;
  /** The function's bundled JavaScript, relative to `directory`. */
  entry: string;
  /** The files it loads on first use, relative to `directory`. */
  lazyFiles: string[];
  files: Map<string, Buffer>;
  /** Runs a script with the bundle's directory as working directory and nothing but `env`. */
  run(script: string, env: NodeJS.ProcessEnv): Promise<string>;
  remove(): void;
}

export function unpackBundle(zipFile: string): UnpackedBundle {
  const directory = mkdtempSync(path.join(tmpdir(), 'eventgate-bundle-'));
  const files = readZip(zipFile);
  let entry = '';
  for (const [name, content] of files) {
    mkdirSync(path.join(directory, path.dirname(name)), { recursive: true });
    writeFileSync(path.join(directory, name), content);
    if (isFunctionBundle(name)) entry = name;
  }
  return {
    directory,
    entry,
    lazyFiles: lazyFilesOf(files.keys(), entry),
    files,
    async run(script, env) {
      const { stdout } = await execFileAsync(process.execPath, ['-e', script], {
        cwd: directory,
        env: { PATH: process.env.PATH, ...env },
        timeout: 20_000,
      });
      return stdout;
    },
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}

/** Which of the Kafka and Postgres clients a bundle carries. */
export function clientsIn(code: string): string[] {
  return Object.entries(CLIENT_MARKERS)
    .filter(([, marker]) => marker.test(code))
    .map(([client]) => client);
}

/** The function's environment from the template; values CloudFormation fills in become placeholders. */
export function templateEnvironment(variables: Record<string, unknown>): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : `resolved-at-deploy-${name.toLowerCase()}`,
    ]),
  );
}

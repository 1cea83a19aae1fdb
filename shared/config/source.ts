import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { S3Client } from './s3-client';
import { ConfigError } from './errors';
import { describeError } from '../errors/describe';

export { ConfigError };

type S3Module = typeof import('./s3-client');

let s3: { module: S3Module; client: S3Client } | undefined;

/**
 * The S3 client, loaded on the first s3:// location: a gateway configured from local files never
 * loads it, and the Lambda bundles carry it as a file of their own (./s3-client.ts).
 */
export function configS3(): { module: S3Module; client: S3Client } {
  if (!s3) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require('./s3-client') as S3Module;
    s3 = {
      module,
      client: new module.S3Client({ forcePathStyle: process.env.AWS_S3_FORCE_PATH_STYLE === 'true' }),
    };
  }
  return s3;
}

export function isS3Uri(location: string): boolean {
  return location.startsWith('s3://');
}

export function parseS3Uri(location: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!match) throw new ConfigError(`not an s3:// location: ${location}`);
  return { bucket: match[1] as string, key: match[2] as string };
}

/** Resolves a config location: s3:// stays as is, a relative path is taken from the config directory. */
export function resolveLocation(location: string, baseDir: string): string {
  if (isS3Uri(location) || path.isAbsolute(location)) return location;
  // The Python EventGate wrote paths like "conf/topic_keys.json", relative to the project root.
  const relative = location.startsWith('conf/') ? location.slice('conf/'.length) : location;
  return path.resolve(baseDir, relative);
}

/** Reads a configuration document from a local path or an `s3://bucket/key` location. */
export async function readText(location: string): Promise<string> {
  try {
    if (!isS3Uri(location)) return await readFile(location, 'utf8');
    const { bucket, key } = parseS3Uri(location);
    const { module, client } = configS3();
    const response = await client.send(new module.GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!response.Body) throw new ConfigError(`${location} is empty`);
    return await response.Body.transformToString('utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`cannot read ${location}: ${describeError(error)}`, { cause: error });
  }
}

export async function readJson(location: string): Promise<unknown> {
  const text = await readText(location);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${location} is not valid JSON: ${describeError(error)}`);
  }
}

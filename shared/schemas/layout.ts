import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../config/errors';
import { configS3, isS3Uri, parseS3Uri } from '../config/source';

/** Where one version of a topic's schema is kept. */
export interface SchemaFile {
  topic: string;
  version: number;
  location: string;
}

/** A version folder holds `<N>.json` files, N a positive integer without leading zeros. */
const VERSION_FILE = /^([1-9][0-9]{0,8})\.json$/;

/**
 * Reads one path relative to the schema root: `<topic>.json` is version 1 of that topic (the
 * single-file form every topic starts with), `<topic>/<N>.json` is version N. Anything else in the
 * root is not a schema and is skipped, so READMEs and editor files do no harm.
 */
export function schemaFileOf(relative: string, location: string): SchemaFile | null {
  const parts = relative.split('/');
  if (parts.length === 1) {
    const name = parts[0] as string;
    return name.endsWith('.json') ? { topic: name.slice(0, -'.json'.length), version: 1, location } : null;
  }
  if (parts.length !== 2) return null;
  const [topic, file] = parts as [string, string];
  if (!file.endsWith('.json')) return null;
  const match = VERSION_FILE.exec(file);
  if (!match) {
    throw new ConfigError(`${location}: a schema version file must be named <N>.json with N = 1, 2, 3…`);
  }
  return { topic, version: Number(match[1]), location };
}

async function listS3(location: string): Promise<Array<{ relative: string; location: string }>> {
  const { bucket, key } = parseS3Uri(location);
  const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
  const { module, client: s3 } = configS3();
  const found: Array<{ relative: string; location: string }> = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new module.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const item of page.Contents ?? []) {
      if (!item.Key?.endsWith('.json')) continue;
      found.push({ relative: item.Key.slice(prefix.length), location: `s3://${bucket}/${item.Key}` });
    }
    token = page.NextContinuationToken;
  } while (token);
  return found;
}

async function listDirectory(location: string): Promise<Array<{ relative: string; location: string }>> {
  const entries = await readdir(location, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    throw new ConfigError(`cannot list topic schemas in ${location}: ${error.message}`);
  });
  const found: Array<{ relative: string; location: string }> = [];
  for (const entry of entries) {
    const full = path.join(location, entry.name);
    if (entry.isDirectory()) {
      for (const inner of await readdir(full)) {
        found.push({ relative: `${entry.name}/${inner}`, location: path.join(full, inner) });
      }
    } else if (entry.isFile() || entry.isSymbolicLink()) {
      found.push({ relative: entry.name, location: full });
    }
  }
  return found;
}

/**
 * Every schema file under the schema root (a directory or an s3:// prefix), grouped by topic with
 * versions in ascending order. Version numbers need not be contiguous (a deleted version leaves a
 * gap), but the same version may not be defined twice.
 */
export async function discoverSchemaFiles(location: string): Promise<Map<string, SchemaFile[]>> {
  const listed = isS3Uri(location) ? await listS3(location) : await listDirectory(location);
  const byTopic = new Map<string, SchemaFile[]>();
  for (const { relative, location: at } of listed.sort((a, b) => a.relative.localeCompare(b.relative))) {
    const file = schemaFileOf(relative, at);
    if (file === null) continue;
    const versions = byTopic.get(file.topic) ?? [];
    const clash = versions.find((known) => known.version === file.version);
    if (clash) {
      throw new ConfigError(
        `${file.location}: version ${file.version} of topic "${file.topic}" is already defined by ${clash.location}` +
          (file.version === 1 ? ` (the single-file form <topic>.json is version 1)` : ''),
      );
    }
    versions.push(file);
    byTopic.set(file.topic, versions);
  }
  for (const versions of byTopic.values()) versions.sort((a, b) => a.version - b.version);
  return new Map([...byTopic].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

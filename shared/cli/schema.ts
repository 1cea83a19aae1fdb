import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { confDir as defaultConfDir } from '../config/settings';
import { readConfiguredTopic } from '../schemas/catalog';
import {
  COMPATIBILITY_MODES,
  incompatibilities,
  type CompatibilityMode,
  type VersionIncompatibility,
} from '../schemas/compatibility';
import { compileSchema } from '../validation/validator';
import type { Command } from './main';
import { describeError } from '../errors/describe';

const HELP = `Usage: eventgate schema check <topic> <new-schema.json> [--conf DIR] [--mode MODE]

Checks a candidate schema before it is published as the topic's next version: it must compile,
be safe to evaluate, and keep the topic's compatibility mode (topics.<topic>.compatibility in
config.json, default backward) with every live version. Prints one line per incompatibility as
  <JSON pointer>: <what changed> (breaks <mode> compatibility with version N)
and exits 1 when there is any, 0 when the schema may be published as <topic>/<N+1>.json.

  --conf DIR    configuration directory (default $CONF_DIR or ./conf)
  --mode MODE   check as if the topic's mode were MODE (backward, forward, full, none)
`;

async function check(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { conf: { type: 'string' }, mode: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const [topicName, schemaFile] = positionals;
  if (topicName === undefined || schemaFile === undefined || positionals.length > 2) {
    console.error(HELP);
    return 2;
  }
  if (values.mode !== undefined && !(COMPATIBILITY_MODES as readonly string[]).includes(values.mode)) {
    console.error(`--mode must be one of ${COMPATIBILITY_MODES.join(', ')}`);
    return 2;
  }
  const confDir = path.resolve(values.conf ?? defaultConfDir());
  const topic = await readConfiguredTopic(confDir, topicName);
  if (topic === null) {
    console.error(
      `topic "${topicName}" has no schema in ${confDir}; a new topic needs no compatibility check`,
    );
    return 2;
  }
  let candidate: unknown;
  try {
    candidate = JSON.parse(await readFile(schemaFile, 'utf8'));
    compileSchema(candidate, schemaFile);
  } catch (error) {
    console.error(`${schemaFile}: ${describeError(error)}`);
    return 1;
  }
  const mode = (values.mode as CompatibilityMode | undefined) ?? topic.mode;
  const next = Math.max(...topic.versions.map((version) => version.version)) + 1;
  const live = topic.versions.filter((version) => !version.retired);
  const found: VersionIncompatibility[] = live.flatMap((version) =>
    incompatibilities(mode, version.schema, candidate).map((change) => ({
      ...change,
      from: version.version,
      to: next,
    })),
  );
  for (const problem of found) {
    console.log(
      `${problem.pointer}: ${problem.message} (breaks ${mode} compatibility with version ${problem.from})`,
    );
  }
  const versions = live.map((version) => version.version).join(', ');
  if (found.length > 0) {
    console.error(
      `${found.length} incompatibilit${found.length === 1 ? 'y' : 'ies'}: ${schemaFile} cannot become version ${next} of ${topic.name} under ${mode} compatibility`,
    );
    return 1;
  }
  console.log(
    `${schemaFile} keeps ${mode} compatibility with version(s) ${versions} of ${topic.name}; publish it as topics/${topic.name}/${next}.json`,
  );
  return 0;
}

export const command: Command = {
  summary: 'check a schema against a topic’s versions',
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === 'check') return check(rest);
    console.error(
      sub === undefined || sub === '--help' || sub === '-h'
        ? HELP
        : `Unknown subcommand "${sub}".\n\n${HELP}`,
    );
    return sub === '--help' || sub === '-h' ? 0 : 2;
  },
};

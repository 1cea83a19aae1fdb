import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseAccessMap } from '../auth/access';
import { ConfigValidationError } from '../config/errors';
import { availableSinks } from '../config/load';
import { JsonLocator } from '../config/locate';
import { checkConfig } from '../config/parse';
import { confDir as defaultConfDir, type GatewayConfig } from '../config/settings';
import { isS3Uri, resolveLocation } from '../config/source';
import { GatewayStateLoader } from '../gateway/state';
import { sinkCatalog, type SinkCatalog } from '../sinks/catalog';
import { compileSchema } from '../validation/validator';
import {
  checkVersionChain,
  compatibilityModeOf,
  describeIncompatibility,
  type CompatibilityMode,
} from '../schemas/compatibility';
import { discoverSchemaFiles, type SchemaFile } from '../schemas/layout';
import type { Command } from './main';
import { projectionProblems } from './validate-projections';
import type { PostgresConfigKeys } from '../sinks/postgres/settings';
import { describeError } from '../errors/describe';

const HELP = `Usage: eventgate validate [--conf DIR]

Checks config.json (against its schema: types, limits, unknown keys), the access map, the topic
keys file and every topic schema version (syntax, safety, compilation, compatibility with the
topic's earlier versions, settings that name missing topics or sinks). Every problem is printed as
FILE:LINE: message, at the line of the bad value. Exits 1 when there is any problem.
`;

interface Problem {
  file: string;
  line: number;
  message: string;
}

/** Line of a JSON syntax error, from the character offset V8 puts in its message. */
function syntaxErrorLine(text: string, message: string): number {
  const position = /position (\d+)/.exec(message);
  if (position) return text.slice(0, Number(position[1])).split('\n').length;
  const line = /line (\d+)/.exec(message);
  return line ? Number(line[1]) : 1;
}

/** Best effort: the first line where one of the quoted names occurs, else 1. */
function lineMentioning(text: string, names: string[]): number {
  for (const name of names) {
    const index = text.indexOf(`"${name}"`);
    if (index >= 0) return text.slice(0, index).split('\n').length;
  }
  return 1;
}

function quotedNames(message: string): string[] {
  return [...message.matchAll(/["'/]([A-Za-z0-9_.$-]+)["']?/g)].map((match) => match[1] as string).reverse();
}

async function readJsonFile(
  file: string,
  problems: Problem[],
): Promise<{ text: string; value: unknown } | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    problems.push({ file, line: 0, message: `cannot read: ${describeError(error)}` });
    return null;
  }
  try {
    return { text, value: JSON.parse(text) };
  } catch (error) {
    const message = describeError(error);
    problems.push({ file, line: syntaxErrorLine(text, message), message });
    return null;
  }
}

/** Problems of a document that carry JSON pointers, each at the line of the value it is about. */
function locatedProblems(file: string, text: string, error: ConfigValidationError): Problem[] {
  const locator = new JsonLocator(text);
  return error.problems
    .map((problem) => ({
      file,
      line: problem.pointer === '' && problem.key === undefined ? 1 : locator.lineOf(problem),
      message: problem.message,
    }))
    .sort((a, b) => a.line - b.line);
}

/** Problems of config.json itself, against the schema of the gateway and of every sink. */
function configProblems(
  file: string,
  config: { text: string; value: unknown },
  catalog: SinkCatalog,
): { problems: Problem[]; settings: GatewayConfig | null } {
  if (typeof config.value !== 'object' || config.value === null || Array.isArray(config.value)) {
    return { problems: [{ file, line: 1, message: 'must hold a JSON object' }], settings: null };
  }
  const checked = checkConfig(config.value, { catalog, unknownKeys: 'reject' });
  const problems = locatedProblems(file, config.text, new ConfigValidationError(file, checked.problems));
  return { problems, settings: checked.config as unknown as GatewayConfig };
}

/**
 * Every version file of every topic: each must parse and compile, and each live version must keep
 * its topic's compatibility mode with the earlier live ones (reported on the later version's file).
 */
async function validateSchemaVersions(
  schemasAt: string,
  settings: GatewayConfig,
  problems: Problem[],
): Promise<void> {
  let discovered: Awaited<ReturnType<typeof discoverSchemaFiles>>;
  try {
    discovered = await discoverSchemaFiles(schemasAt);
  } catch (error) {
    const message = describeError(error);
    problems.push({ file: message.split(':')[0] ?? schemasAt, line: 1, message });
    return;
  }
  for (const [topic, files] of discovered) {
    const versions: Array<{
      version: number;
      schema: unknown;
      retired: boolean;
      text: string;
      file: string;
    }> = [];
    const own = settings.topics?.[topic] ?? settings.topics?.[topic.toLowerCase()] ?? {};
    const retired = Array.isArray(own.retired_versions) ? own.retired_versions : [];
    for (const { location: file, version } of files) {
      const schema = await readJsonFile(file, problems);
      if (!schema) continue;
      try {
        compileSchema(schema.value, file);
        versions.push({
          version,
          schema: schema.value,
          retired: retired.includes(version),
          text: schema.text,
          file,
        });
      } catch (error) {
        if (error instanceof ConfigValidationError) {
          problems.push(...locatedProblems(file, schema.text, error));
          continue;
        }
        const message = describeError(error);
        problems.push({ file, line: lineMentioning(schema.text, quotedNames(message)), message });
      }
    }
    let mode: CompatibilityMode;
    try {
      mode = compatibilityModeOf(topic, own.compatibility);
    } catch {
      continue; // Reported by the load check below.
    }
    for (const found of checkVersionChain(mode, versions)) {
      const later = versions.find((version) => version.version === found.to);
      if (!later) continue;
      const names = found.pointer
        .split('/')
        .filter((segment) => segment !== '')
        .reverse();
      problems.push({
        file: later.file,
        line: lineMentioning(later.text, names),
        message: describeIncompatibility(mode, found),
      });
    }
  }
}

export async function validateConfiguration(
  confDir: string,
  env: NodeJS.ProcessEnv = process.env,
  catalog: SinkCatalog = sinkCatalog,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  const configFile = path.join(confDir, 'config.json');
  const config = await readJsonFile(configFile, problems);
  if (!config) return problems;
  const checked = configProblems(configFile, config, catalog);
  problems.push(...checked.problems);
  const settings = checked.settings;
  if (!settings) return problems;

  const accessLocation = resolveLocation(settings.access_config, confDir);
  if (!isS3Uri(accessLocation)) {
    const access = await readJsonFile(accessLocation, problems);
    if (access) {
      try {
        parseAccessMap(access.value, accessLocation);
      } catch (error) {
        const message = describeError(error);
        problems.push({
          file: accessLocation,
          line: lineMentioning(access.text, quotedNames(message)),
          message,
        });
      }
    }
  }

  const schemasAt = resolveLocation(settings.topic_schemas, confDir);
  // Each topic's single-file schema, for the projection checks below; reading, compiling and
  // comparing every version is validateSchemaVersions' job, which reports their problems.
  const schemas = new Map<string, unknown>();
  if (!isS3Uri(schemasAt)) {
    await validateSchemaVersions(schemasAt, settings, problems);
    // The projections are checked against each topic's newest version.
    const discovered = await discoverSchemaFiles(schemasAt).catch(() => new Map<string, SchemaFile[]>());
    for (const [topic, files] of discovered) {
      const newest = [...files].sort((a, b) => b.version - a.version)[0];
      const schema = newest ? await readJsonFile(newest.location, []) : null;
      if (schema) schemas.set(topic, schema.value);
    }
  }

  if (!isS3Uri(schemasAt)) {
    for (const problem of projectionProblems(
      (settings as PostgresConfigKeys).postgres?.projections,
      schemas,
    )) {
      problems.push({
        file: configFile,
        line: lineMentioning(config.text, problem.names),
        message: problem.message,
      });
    }
  }

  if (problems.length === 0) {
    // Everything parsed on its own; now the cross-checks the gateway makes at load. Without a
    // configured sink (a deployment names them in the environment) every sink counts as available.
    try {
      const sinks = availableSinks(settings, env, catalog);
      await new GatewayStateLoader({
        confDir,
        catalog,
        env: {
          ...env,
          EVENTGATE_SINKS: env.EVENTGATE_SINKS ?? (sinks.length > 0 ? sinks : catalog.names).join(','),
        },
      }).current();
    } catch (error) {
      const message = describeError(error);
      problems.push({ file: configFile, line: lineMentioning(config.text, quotedNames(message)), message });
    }
  }
  return problems;
}

export const command: Command = {
  summary: 'check config, access map and schemas',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { conf: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const dir = path.resolve(values.conf ?? defaultConfDir());
    const problems = await validateConfiguration(dir);
    for (const problem of problems) console.error(`${problem.file}:${problem.line}: ${problem.message}`);
    if (problems.length > 0) {
      console.error(`${problems.length} problem(s) in ${dir}`);
      return 1;
    }
    console.log(`${dir}: configuration, access map and schemas are valid`);
    return 0;
  },
};

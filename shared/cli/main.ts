/** A CLI command: gets its own arguments, returns the process exit code. */
export type Command = {
  summary: string;
  run(args: string[]): Promise<number>;
};

// Each command lives in its own module and is loaded only when asked for, so `eventgate backlog`
// does not pay for starting the local runtime's dependencies. `require`, not `import()`: the CLI runs
// from TypeScript source through a CommonJS loader hook.
/* eslint-disable @typescript-eslint/no-require-imports */
const COMMANDS: Record<string, () => Command> = {
  dev: () => (require('./dev') as typeof import('./dev')).command,
  replay: () => (require('./replay') as typeof import('./replay')).command,
  dlq: () => (require('./dlq') as typeof import('./dlq')).command,
  backlog: () => (require('./backlog') as typeof import('./backlog')).command,
  token: () => (require('./token') as typeof import('./token')).command,
  validate: () => (require('./validate') as typeof import('./validate')).command,
  client: () => (require('./client') as typeof import('./client')).command,
  schema: () => (require('./schema') as typeof import('./schema')).command,
  quarantine: () => (require('./quarantine') as typeof import('./quarantine')).command,
};
/* eslint-enable @typescript-eslint/no-require-imports */

function usage(): string {
  return [
    'Usage: eventgate <command> [options]',
    '',
    'Commands:',
    '  dev        run the whole gateway locally (what `npm start` does)',
    '  replay     move messages from a sink DLQ back to its queue',
    '  dlq        peek into a sink DLQ without moving anything, or purge it',
    '  backlog    per-sink queue depth, in-flight, DLQ depth and oldest age',
    '  token      mint a development token from the local signing key',
    '  validate   check config, access map and every topic schema',
    '  client     manage the clients of the token endpoint (add, rotate, remove, list, key)',
    '  schema     `schema check <topic> <file>`: may this schema be the topic’s next version?',
    '  quarantine `quarantine list|replay`: events refused by a schema, kept for a fix and a replay',
    '',
    'Run `eventgate <command> --help` for the options of each.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 1 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`Unknown command "${name}".\n\n${usage()}`);
    return 2;
  }
  return load().run(rest);
}

/** A CLI command: gets its own arguments, returns the process exit code. */
export type Command = {
  summary: string;
  run(args: string[]): Promise<number>;
};

// Each command lives in its own module and is loaded only when asked for, so `eventgate backlog`
// does not pay for starting the local runtime's dependencies.
const COMMANDS: Record<string, () => Promise<Command>> = {
  dev: async () => (await import('./dev')).command,
  replay: async () => (await import('./replay')).command,
  backlog: async () => (await import('./backlog')).command,
  token: async () => (await import('./token')).command,
  validate: async () => (await import('./validate')).command,
};

function usage(): string {
  return [
    'Usage: eventgate <command> [options]',
    '',
    'Commands:',
    '  dev        run the whole gateway locally (what `npm start` does)',
    '  replay     move messages from a sink DLQ back to its queue',
    '  backlog    per-sink queue depth, in-flight, DLQ depth and oldest age',
    '  token      mint a development token from the local signing key',
    '  validate   check config, access map and every topic schema',
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
  return (await load()).run(rest);
}

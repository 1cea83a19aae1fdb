import { parseArgs } from 'node:util';
import { describeError } from '../errors/describe';

/** Bad command line: the command prints the message (and a pointer to --help) and exits with 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Exit code for a command line that could not be understood. */
export const USAGE_EXIT_CODE = 2;

/** One option as `node:util` parseArgs wants it, plus what `--help` says about it. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  /** Shown in help after the flag, e.g. `--stage <stage>`. */
  valueName?: string;
  description: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S['type'] extends 'string'
  ? S['multiple'] extends true
    ? string[]
    : string
  : S['multiple'] extends true
    ? boolean[]
    : boolean;

export type ParsedValues<S extends OptionSpecs> = { [K in keyof S]?: ValueOf<S[K]> };

export interface ParsedArgs<S extends OptionSpecs> {
  values: ParsedValues<S>;
  positionals: string[];
}

/** Options every queue command shares: where the queues are and how to print. */
export const LOCATION_OPTIONS = {
  local: { type: 'boolean', description: 'use the local runtime started with `npm start` instead of AWS' },
  'state-dir': {
    type: 'string',
    valueName: 'dir',
    description:
      'with --local: the state folder the runtime uses (default: EVENTGATE_STATE_DIR or ./.eventgate)',
  },
  stage: { type: 'string', valueName: 'stage', description: 'deployment stage (default: dev)' },
  region: { type: 'string', valueName: 'region', description: 'AWS region (default: AWS_REGION)' },
  service: {
    type: 'string',
    valueName: 'name',
    description: 'service name in queue names (default: eventgate)',
  },
  json: { type: 'boolean', description: 'print one machine-readable JSON document' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const satisfies OptionSpecs;

/**
 * Strict parsing: an unknown option, a missing value or an unexpected positional is a UsageError
 * with a message written for people, not node's internal wording.
 */
export function parseCommandArgs<S extends OptionSpecs>(
  args: readonly string[],
  specs: S,
  options: { positionals?: number } = {},
): ParsedArgs<S> {
  const maxPositionals = options.positionals ?? 0;
  const config: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    config[name] = {
      type: spec.type,
      ...(spec.multiple ? { multiple: true } : {}),
      ...(spec.short ? { short: spec.short } : {}),
    };
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options: config, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals[maxPositionals];
    throw new UsageError(`unexpected argument "${extra}"`);
  }
  return { values: parsed.values as ParsedValues<S>, positionals: parsed.positionals };
}

function describeParseError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = describeError(error);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'([^']+)'/.exec(message)?.[1];
    return `unknown option ${flag ?? message}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /'(--?[\w-]+)/.exec(message)?.[1];
    return flag ? `option ${flag} needs a value` : message;
  }
  return message;
}

/**
 * parseArgs has no "optional value" options. For a flag like `--watch [seconds]`, rewrite a bare
 * `--watch` to `--watch=<fallback>` when the next word is not a number, so the flag can be declared
 * as a string option.
 */
export function withOptionalValue(args: readonly string[], flag: string, fallback: string): string[] {
  const result: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const word = args[index] as string;
    if (word === '--') {
      result.push(...args.slice(index));
      break;
    }
    if (word === flag) {
      const next = args[index + 1];
      if (next !== undefined && /^\d+(\.\d+)?$/.test(next)) {
        result.push(`${flag}=${next}`);
        index += 1;
      } else {
        result.push(`${flag}=${fallback}`);
      }
      continue;
    }
    result.push(word);
  }
  return result;
}

export function positiveInteger(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${flag} must be a whole number of at least 1, got "${value}"`);
  }
  return Number(value);
}

export function positiveNumber(value: string, flag: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0) {
    throw new UsageError(`${flag} must be a number greater than 0, got "${value}"`);
  }
  return number;
}

/** Help text from the same specs the parser uses, so the two never drift apart. */
export function formatHelp(
  usage: string,
  summary: string,
  specs: OptionSpecs,
  notes: readonly string[] = [],
): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : '    ';
    const value = spec.type === 'string' ? ` <${spec.valueName ?? 'value'}>` : '';
    const repeat = spec.multiple ? ' (repeatable)' : '';
    return { flag: `  ${short}--${name}${value}`, text: `${spec.description}${repeat}` };
  });
  const width = Math.max(...rows.map((row) => row.flag.length)) + 2;
  const lines = [`Usage: ${usage}`, '', summary, '', 'Options:'];
  for (const row of rows) lines.push(`${row.flag.padEnd(width)}${row.text}`);
  if (notes.length > 0) lines.push('', ...notes);
  return lines.join('\n');
}

/** Where a command writes: stdout for results, stderr for progress and problems. Tests pass a recorder. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  /** The raw error stream, for in-place progress bars. */
  errStream: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  /** Whether stdout is a terminal (a watch screen is redrawn only then). */
  outIsTTY: boolean;
}

export function processIo(): CommandIo {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    errStream: process.stderr,
    outIsTTY: process.stdout.isTTY === true,
  };
}

/** Left-aligned text columns, right-aligned numbers, two spaces apart. */
export function formatTable(
  headers: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
): string {
  const cells = rows.map((row) => row.map((cell) => String(cell)));
  const numeric = headers.map(
    (_, column) => rows.length > 0 && rows.every((row) => typeof row[column] === 'number'),
  );
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...cells.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: readonly string[]): string =>
    row
      .map((cell, column) => {
        const width = widths[column] ?? cell.length;
        return numeric[column] ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

/**
 * The first Ctrl-C aborts the returned signal so a command can stop cleanly; the listener is gone
 * after that, so a second Ctrl-C ends the process at once.
 */
export function abortOnInterrupt(onInterrupt?: () => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const listener = (): void => {
    onInterrupt?.();
    controller.abort();
  };
  process.once('SIGINT', listener);
  return { signal: controller.signal, dispose: () => process.removeListener('SIGINT', listener) };
}

/**
 * Parses a command line, or answers it: the help text for `--help` (exit 0), the problem and a
 * pointer to `--help` for a bad line (exit 2). Either the request to run, or the exit code.
 */
export function parseOrAnswer<T>(
  command: string,
  parse: () => T | 'help',
  help: () => string,
  io: CommandIo,
): { request: T } | { exitCode: number } {
  let request: T | 'help';
  try {
    request = parse();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`eventgate ${command}: ${error.message}\nRun \`eventgate ${command} --help\` for the options.`);
    return { exitCode: USAGE_EXIT_CODE };
  }
  if (request === 'help') {
    io.out(help());
    return { exitCode: 0 };
  }
  return { request };
}

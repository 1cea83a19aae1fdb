import { mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * The gateway writes structured JSON logs and EMF metric lines to stdout, as it must on Lambda. In a
 * benchmark they would bury the table, so while a scenario runs they go to a file instead; the cost
 * of formatting them stays in the measurement.
 */
const originalWrite = process.stdout.write.bind(process.stdout);
let productLogFile: string | undefined;
let divertedLines = 0;
let emfLines = 0;

export function say(line = ''): void {
  originalWrite(`${line}\n`);
}

export function diverted(): { lines: number; emfLines: number; file: string | undefined } {
  return { lines: divertedLines, emfLines, file: productLogFile };
}

/** Sends every stdout line that is a JSON document (product logs, EMF) to `file`. */
export function divertProductOutput(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'w');
  productLogFile = file;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    const text =
      typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
    if (text !== undefined && text.startsWith('{')) {
      divertedLines += 1;
      if (text.startsWith('{"_aws"')) emfLines += 1;
      writeSync(fd, text.endsWith('\n') ? text : `${text}\n`);
      const callback = rest.find((item) => typeof item === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }
    return (originalWrite as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
}

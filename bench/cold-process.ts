import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { median } from './stats';

const execFileAsync = promisify(execFile);

/**
 * Runs in a fresh node process: require the bundle, call its handler with the given event, then once
 * more warm. Times come from the child's own clock; `bootMs` is Node's start-up before our code.
 */
const DRIVER = `
const bootMs = performance.now();
const [bundlePath, eventFile] = process.argv.slice(2);
const event = require(eventFile);
const started = performance.now();
const { handler } = require(bundlePath);
const imported = performance.now();
(async () => {
  const result = event ? await handler(event, {}) : undefined;
  const first = performance.now();
  const again = event ? await handler(event, {}) : undefined;
  const second = performance.now();
  const statusOf = (answer) => answer && (answer.statusCode ?? (answer.batchItemFailures ? 'batch failures ' + answer.batchItemFailures.length : 'ok'));
  process.stdout.write('\\n' + JSON.stringify({
    bootMs,
    importMs: imported - started,
    firstMs: event ? first - imported : null,
    secondMs: event ? second - first : null,
    status: statusOf(result),
    secondStatus: statusOf(again),
  }) + '\\n');
  process.exit(0);
})().catch((error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); });
`;

interface DriverResult {
  bootMs: number;
  importMs: number;
  firstMs: number | null;
  secondMs: number | null;
  status: number | string | undefined;
  secondStatus: number | string | undefined;
}

/** Medians over fresh processes of one scenario. */
export interface ColdSummary {
  runs: number;
  importMs: number;
  firstMs: number;
  secondMs: number;
  bootMs: number;
  /** Spawn to exit, as the parent saw it. */
  processMs: number;
  /** Every answer seen, first and second requests alike (200, 'ok', 'batch failures 1', …). */
  statuses: Array<DriverResult['status']>;
  /** Each process's require and first request, to show the spread. */
  samples: Array<{ importMs: number; firstMs: number | null }>;
}

export interface ColdScenario {
  bundleFile: string;
  /** A JSON file holding the handler's event; `null` in it means require only. */
  eventFile: string;
  env: NodeJS.ProcessEnv;
}

/** Writes the driver script into `directory` and returns a runner of scenarios. */
export function coldProcessRunner(
  directory: string,
): (scenario: ColdScenario, runs: number) => Promise<ColdSummary> {
  const driver = path.join(directory, 'driver.js');
  writeFileSync(driver, DRIVER);

  async function once(scenario: ColdScenario): Promise<{ processMs: number; result: DriverResult }> {
    const started = performance.now();
    const { stdout } = await execFileAsync(
      process.execPath,
      [driver, scenario.bundleFile, scenario.eventFile],
      {
        env: scenario.env,
        // Away from the repository: the bundle must not find node_modules above it.
        cwd: os.tmpdir(),
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    // The handler logs to stdout too; the driver's answer is the last line.
    const last = stdout.trim().split('\n').pop() ?? '{}';
    return { processMs: performance.now() - started, result: JSON.parse(last) as DriverResult };
  }

  return async (scenario, runs) => {
    const results: Array<{ processMs: number; result: DriverResult }> = [];
    for (let index = 0; index < runs; index++) results.push(await once(scenario));
    return {
      runs,
      importMs: median(results.map((run) => run.result.importMs)),
      firstMs: median(results.map((run) => run.result.firstMs ?? Number.NaN)),
      secondMs: median(results.map((run) => run.result.secondMs ?? Number.NaN)),
      bootMs: median(results.map((run) => run.result.bootMs)),
      processMs: median(results.map((run) => run.processMs)),
      statuses: [...new Set(results.flatMap((run) => [run.result.status, run.result.secondStatus]))],
      samples: results.map((run) => ({ importMs: run.result.importMs, firstMs: run.result.firstMs })),
    };
  };
}

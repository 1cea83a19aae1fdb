import './quiet-warnings';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { benchColdStart } from './cold-start';
import { costFigures } from './cost-figures';
import { benchDrain, type DrainMeasurement } from './drain';
import { benchEndToEnd } from './e2e';
import { benchIngest, type IngestMeasurements } from './ingest';
import { benchReads } from './reads';
import { divertProductOutput, diverted, say } from './output';
import { startBenchPeers, type BenchPeers } from './peers';
import { printTable, verdictOf, writeResults, type BenchResults, type Figure } from './report';

const RESULTS_DIR = path.join(__dirname, 'results');
const RESULTS_FILE = path.join(RESULTS_DIR, 'latest.json');
const SECTIONS = ['ingest', 'e2e', 'drain', 'reads', 'cold-start'] as const;
type Section = (typeof SECTIONS)[number];

/** `npm run bench -- --only ingest,drain` runs a subset. */
function selectedSections(argv: readonly string[]): Section[] {
  const only =
    argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length) ??
    (argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined);
  if (!only) return [...SECTIONS];
  const wanted = only.split(',').map((name) => name.trim());
  for (const name of wanted) {
    if (!(SECTIONS as readonly string[]).includes(name))
      throw new Error(`unknown section "${name}"; choose from ${SECTIONS.join(', ')}`);
  }
  return SECTIONS.filter((section) => wanted.includes(section));
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const sections = selectedSections(process.argv.slice(2));
  divertProductOutput(path.join(RESULTS_DIR, 'product-output.log'));
  const started = performance.now();
  const loadAverageAtStart = os.loadavg();
  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  const progress = (text: string): void =>
    say(`… ${text} (${Math.round((performance.now() - started) / 1000)} s)`);

  let peers: BenchPeers | undefined;
  // Ctrl-C stops the peers too: a Postgres cluster or mock broker must not outlive the run.
  const interrupted = (signal: NodeJS.Signals): void => {
    say(`… ${signal}: stopping peers`);
    void (peers?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  /** One section's figures; a section that fails is reported as such and the others still run. */
  const runSection = async (
    name: Section,
    title: string,
    work: () => Promise<{ figures: Figure[]; details: Record<string, unknown> }>,
  ): Promise<void> => {
    if (!sections.includes(name)) return;
    progress(title);
    try {
      const result = await work();
      figures.push(...result.figures);
      details[name] = result.details;
    } catch (error) {
      const message = (error as Error).message.split('\n')[0] ?? String(error);
      figures.push({
        section: title,
        label: `${name} section`,
        value: null,
        unit: '',
        note: `failed: ${message}`,
      });
      details[name] = { error: (error as Error).stack ?? message };
    }
  };

  try {
    await runSection('ingest', 'ingest handler in-process', () => benchIngest());
    if (sections.some((section) => section !== 'ingest')) {
      progress('starting peers (Postgres, Kafka mock, fauxqs, EventBridge stand-in)');
      peers = await startBenchPeers();
    }
    const running = peers as BenchPeers;
    await runSection('e2e', 'end to end on the local runtime', () => benchEndToEnd(running));
    await runSection('drain', 'worker drain per sink', () => benchDrain(running));
    await runSection('reads', 'Postgres projections and the read API', () => benchReads(running));
    await runSection('cold-start', 'cold start: bundles and fresh processes', () => benchColdStart(running));
  } finally {
    await peers?.stop();
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
  }

  // Priced from what the sections above counted and measured.
  if (sections.includes('ingest')) {
    const ingest = details.ingest as { measurements?: IngestMeasurements } | undefined;
    const drain = details.drain as { measurements?: DrainMeasurement[] } | undefined;
    figures.push(...costFigures(ingest?.measurements, drain?.measurements));
  }

  const durationSeconds = (performance.now() - started) / 1000;
  say();
  printTable(figures);
  const results: BenchResults = {
    generatedAt: new Date().toISOString(),
    command: `npm run bench${sections.length < SECTIONS.length ? ` -- --only ${sections.join(',')}` : ''}`,
    commit: gitCommit(),
    machine: {
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      loadAverageAtStart,
      loadAverageAtEnd: os.loadavg(),
    },
    durationSeconds,
    figures: figures.map((figure) => ({ ...figure, verdict: verdictOf(figure) })),
    details: { ...details, productOutput: diverted() },
  };
  writeResults(RESULTS_FILE, results);
  const missed = results.figures.filter((figure) => figure.verdict === 'MISS').length;
  say();
  say(
    `${figures.length} figures, ${missed} missed their target; ${Math.round(durationSeconds)} s. JSON: ${path.relative(process.cwd(), RESULTS_FILE)}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

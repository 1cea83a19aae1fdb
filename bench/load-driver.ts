import { writeFileSync } from 'node:fs';
import autocannon from 'autocannon';

/**
 * Runs in its own process so the load generator does not share an event loop with the gateway it
 * measures. Reads its settings from argv[2] (JSON), prints a JSON summary on stdout and writes the
 * ids of accepted events, one a line, to `idsFile`.
 */
export interface LoadSettings {
  url: string;
  headers: Record<string, string>;
  /** Request body; every `[<id>]` becomes a fresh id per request. */
  body: string;
  connections: number;
  durationSeconds: number;
  idsFile: string;
}

export interface LoadSummary {
  startedAt: number;
  endedAt: number;
  /** Requests answered before the load generator stopped. */
  requests: number;
  /** Requests sent but not yet answered when it stopped: the gateway may still accept them. */
  inFlightAtStop: number;
  accepted: number;
  otherStatuses: Record<string, number>;
  errors: number;
  timeouts: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  durationSeconds: number;
  /** CPU seconds (user + system) the load generator itself used: its share of the machine. */
  cpuSeconds: number;
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '{}') as LoadSettings;
  const ids: string[] = [];
  const otherStatuses: Record<string, number> = {};
  const startedAt = Date.now();
  const result = await autocannon({
    url: settings.url,
    method: 'POST',
    headers: settings.headers,
    body: settings.body,
    idReplacement: true,
    connections: settings.connections,
    duration: settings.durationSeconds,
    requests: [
      {
        onResponse: (status: number, body: string) => {
          if (status === 202) ids.push((JSON.parse(body) as { eventId: string }).eventId);
          else otherStatuses[status] = (otherStatuses[status] ?? 0) + 1;
        },
      },
    ],
  });
  const endedAt = Date.now();
  const cpu = process.cpuUsage();
  writeFileSync(settings.idsFile, ids.join('\n'));
  const summary: LoadSummary = {
    startedAt,
    endedAt,
    requests: result.requests.total,
    // `sent` counts every request written, answered or not; the type definitions lack it.
    inFlightAtStop: Math.max(
      0,
      (result.requests as unknown as { sent: number }).sent - result.requests.total,
    ),
    accepted: ids.length,
    otherStatuses,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMaxMs: result.latency.max,
    durationSeconds: result.duration,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});

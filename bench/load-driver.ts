import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * HTTP load from `wrk` (Debian's package), a C load generator: it shares the machine with the
 * gateway, so the lighter it is, the more CPU the gateway gets (about 20 µs per request here).
 */
export interface LoadSettings {
  url: string;
  headers: Record<string, string>;
  /** Request body; `[<id>]` becomes an id of its own in every request. */
  body: string;
  connections: number;
  durationSeconds: number;
}

export interface LoadSummary {
  startedAt: number;
  endedAt: number;
  /** Requests answered before the load generator stopped. */
  requests: number;
  /** The event ids of the `202` answers. */
  acceptedIds: string[];
  otherStatuses: Record<string, number>;
  /** Socket errors (connect, read, write) and timeouts, as wrk counts them. */
  errors: number;
  timeouts: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  durationSeconds: number;
  /** CPU seconds (user + system) the load generator used: its share of the machine. */
  cpuSeconds: number;
}

const ID_PLACEHOLDER = '[<id>]';

function luaString(text: string): string {
  return JSON.stringify(text); // a JSON string with only \" \\ \n escapes is a valid Lua string
}

/**
 * Each wrk thread gives its requests ids of its own (`t<thread>-<n>`) and writes what each answer
 * said to a file of its own, one line per answer: the event id of a `202`, else `!<status>`.
 * Line-buffered, so nothing is lost when wrk exits without closing its threads' files.
 */
function script(settings: LoadSettings, answersDir: string): string {
  const [before = '', after = ''] = settings.body.split(ID_PLACEHOLDER);
  const headers = Object.entries(settings.headers)
    .map(([name, value]) => `wrk.headers[${luaString(name)}] = ${luaString(value)}`)
    .join('\n');
  return `
wrk.method = "POST"
${headers}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("number", threads)
end
function init(args)
  sent = 0
  prefix = "t" .. number .. "-"
  answers = io.open(${luaString(answersDir)} .. "/answers-" .. number .. ".txt", "w")
  answers:setvbuf("line")
end
function request()
  sent = sent + 1
  return wrk.format(nil, nil, nil, ${luaString(before)} .. prefix .. sent .. ${luaString(after)})
end
function response(status, headers, body)
  if status == 202 then
    answers:write(string.match(body, '"eventId":"([^"]+)"') or "?", "\\n")
  else
    answers:write("!", status, "\\n")
  end
end
function done(summary, latency, requests)
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`;
}

interface WrkSummary {
  requests: number;
  durationUs: number;
  connect: number;
  read: number;
  write: number;
  timeout: number;
  p50: number;
  p99: number;
  max: number;
}

/** The children's CPU times that bash's `times` prints on its second line, in seconds. */
function childCpuSeconds(timesOutput: string): number {
  const line = timesOutput.trim().split('\n').pop() ?? '';
  return [...line.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
    (total, match) => total + Number(match[1]) * 60 + Number(match[2]),
    0,
  );
}

export async function runLoad(settings: LoadSettings): Promise<LoadSummary> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'eventgate-load-'));
  try {
    const scriptFile = path.join(workDir, 'load.lua');
    writeFileSync(scriptFile, script(settings, workDir));
    const startedAt = Date.now();
    // `times` after wrk: the CPU wrk used, which its own summary leaves out.
    const { stdout } = await run(
      'bash',
      [
        '-c',
        'wrk "$@" && times',
        'wrk',
        '--threads',
        '1',
        '--connections',
        String(settings.connections),
        '--duration',
        `${settings.durationSeconds}s`,
        '--timeout',
        '10s',
        '--script',
        scriptFile,
        settings.url,
      ],
      { timeout: (settings.durationSeconds + 60) * 1000, maxBuffer: 10 * 1024 * 1024 },
    );
    const endedAt = Date.now();
    const summaryLine = stdout.split('\n').find((line) => line.startsWith('{"requests"'));
    if (!summaryLine) throw new Error(`wrk printed no summary:\n${stdout}`);
    const summary = JSON.parse(summaryLine) as WrkSummary;
    const acceptedIds: string[] = [];
    const otherStatuses: Record<string, number> = {};
    for (const file of readdirSync(workDir).filter((name) => name.startsWith('answers-'))) {
      for (const line of readFileSync(path.join(workDir, file), 'utf8').split('\n')) {
        if (line === '') continue;
        if (line.startsWith('!')) otherStatuses[line.slice(1)] = (otherStatuses[line.slice(1)] ?? 0) + 1;
        else acceptedIds.push(line);
      }
    }
    return {
      startedAt,
      endedAt,
      requests: summary.requests,
      acceptedIds,
      otherStatuses,
      errors: summary.connect + summary.read + summary.write,
      timeouts: summary.timeout,
      latencyP50Ms: summary.p50 / 1000,
      latencyP99Ms: summary.p99 / 1000,
      latencyMaxMs: summary.max / 1000,
      durationSeconds: summary.durationUs / 1e6,
      cpuSeconds: childCpuSeconds(stdout),
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

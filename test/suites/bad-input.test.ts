/**
 * Robustness against bad input, made countable: thousands of generated malformed requests against the
 * ingest app in process (as REST v1 and HTTP API v2 events) and a thousand more over real HTTP through
 * the local runtime's front, plus malformed HTTP on raw sockets, bodies over the front's limit and
 * dribbling (slowloris) clients. Every request must get an answer below 500, within a bound, in the
 * documented error shape for 4xx, with a safe X-Correlation-ID; where the contract fixes the status,
 * that status.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { DEFAULTS } from '../../shared/config/settings';
import { startLocalHttpServer, GATEWAY_PAYLOAD_LIMIT } from '../../shared/local/http-server';
import { startLocalRuntime, type LocalRuntime } from '../../shared/local/runtime';
import { createTestConf, type TestConf } from '../helpers/gateway';
import { createTestDatabase, type TestDatabase } from '../peers/postgres';
import {
  createRng,
  generateRequests,
  inProcessGateway,
  IN_PROCESS_SINKS,
  seedFromEnv,
  sweepSize,
  targetsFor,
  toHttpBytes,
  toV1Event,
  toV2Event,
  TOKEN_SUBJECTS,
  type GeneratedRequest,
  type GeneratorOptions,
  type InProcessGateway,
} from './generators';

jest.setTimeout(180_000);

const SEED = seedFromEnv(0x5eed2024);
/** Each is sent twice, as a REST (v1) and as an HTTP API (v2) event. */
const IN_PROCESS_REQUESTS = 4_600;
const HTTP_REQUESTS = 1_000;
const HTTP_CONCURRENCY = 8;
/** A hang detector, not a speed requirement: nothing here should take more than milliseconds. */
const ANSWER_BOUND_MS = 5_000;

const SAFE_CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// ---------------------------------------------------------------------------------------------
// Checking one answer

interface Answer {
  status: number;
  /** Lowercased names. */
  headers: Record<string, string>;
  body: string;
}

interface Failure {
  phase: string;
  label: string;
  request: string;
  problems: string[];
  answer: string;
}

class Tally {
  tried = 0;
  passed = 0;
  readonly failures: Failure[] = [];

  record(phase: string, label: string, request: string, problems: string[], answer: string): void {
    this.tried++;
    if (problems.length === 0) this.passed++;
    else this.failures.push({ phase, label, request, problems, answer });
  }

  failuresOf(phase: string): Failure[] {
    return this.failures.filter((failure) => failure.phase === phase);
  }
}

const tally = new Tally();

function lowercased(headers: Record<string, string | undefined>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined) result[name.toLowerCase()] = value;
  return result;
}

function errorShapeProblems(answer: Answer): string[] {
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return [`${answer.status} body is not JSON`];
  }
  const problems: string[] = [];
  const shape = body as { success?: unknown; statusCode?: unknown; errors?: unknown };
  if (typeof body !== 'object' || body === null) return [`${answer.status} body is not a JSON object`];
  if (shape.success !== false) problems.push('error body without success: false');
  if (shape.statusCode !== answer.status)
    problems.push(`statusCode ${String(shape.statusCode)} ≠ HTTP ${answer.status}`);
  if (!Array.isArray(shape.errors) || shape.errors.length === 0) problems.push('errors missing or empty');
  else {
    for (const error of shape.errors as Array<Record<string, unknown>>) {
      if (typeof error?.type !== 'string' || typeof error.message !== 'string') {
        problems.push('an error without string type and message');
        break;
      }
    }
  }
  return problems;
}

/** Everything every answer must satisfy, whatever was sent. */
function problemsWith(answer: Answer, request: { method: string; expected?: readonly number[] }): string[] {
  const problems: string[] = [];
  if (answer.status >= 500 || answer.status < 100) problems.push(`status ${answer.status}`);
  if (request.expected && !request.expected.includes(answer.status)) {
    problems.push(`status ${answer.status}, documented: ${request.expected.join(' or ')}`);
  }
  const correlationId = answer.headers['x-correlation-id'];
  if (correlationId === undefined) problems.push('no X-Correlation-ID');
  else if (!SAFE_CORRELATION_ID.test(correlationId))
    problems.push(`unsafe X-Correlation-ID ${JSON.stringify(correlationId.slice(0, 60))}`);
  const isHead = request.method.toUpperCase() === 'HEAD';
  if (isHead) {
    if (answer.body !== '') problems.push('HEAD answered with a body');
  } else if (answer.status >= 400) {
    problems.push(...errorShapeProblems(answer));
  } else if (/json/i.test(answer.headers['content-type'] ?? '')) {
    try {
      JSON.parse(answer.body);
    } catch {
      problems.push(`${answer.status} with a JSON content type but a body that is not JSON`);
    }
  }
  if (answer.status === 405 && !answer.headers.allow) problems.push('405 without Allow');
  return problems;
}

function describeRequest(request: GeneratedRequest, how: string): string {
  const body =
    request.base64Body !== undefined
      ? `base64-flagged ${JSON.stringify(request.base64Body.slice(0, 40))}`
      : request.body === null
        ? 'no body'
        : `${request.body.length} bytes ${JSON.stringify(request.body.subarray(0, 60).toString('latin1'))}`;
  const headers = request.headers.map(
    ([name, value]) => `${name}: ${value.slice(0, 40)}${value.length > 40 ? '…' : ''}`,
  );
  return `[${how}] ${JSON.stringify(request.method.slice(0, 20))} ${JSON.stringify(request.path.slice(0, 80))}${request.query ? `?${request.query}` : ''} {${headers.join('; ')}} ${body}`;
}

function describeAnswer(answer: Answer | string): string {
  if (typeof answer === 'string') return answer;
  return `${answer.status} ${answer.body.slice(0, 200)}`;
}

/** A readable report of a phase's failures: grouped by label and problem, one example each. */
function report(failures: Failure[]): string {
  if (failures.length === 0) return '';
  const groups = new Map<string, Failure[]>();
  for (const failure of failures) {
    const key = `${failure.label} — ${failure.problems.map((problem) => problem.replace(/\d{3}/g, 'N')).join(', ')}`;
    groups.set(key, [...(groups.get(key) ?? []), failure]);
  }
  const lines = [`${failures.length} request(s) failed, in ${groups.size} group(s):`];
  for (const [, group] of groups) {
    const first = group[0] as Failure;
    lines.push(
      `- ${group.length}× ${first.label}: ${first.problems.join('; ')}`,
      `    request: ${first.request}`,
      `    answer:  ${first.answer}`,
    );
  }
  return lines.join('\n');
}

async function bounded<T>(work: () => Promise<T>, ms: number): Promise<{ value: T } | { error: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ error: string }>((resolve) => {
    timer = setTimeout(() => resolve({ error: `no answer within ${ms} ms` }), ms);
  });
  try {
    return await Promise.race([
      work().then(
        (value) => ({ value }),
        (error: unknown) => ({ error: `threw ${(error as Error)?.stack ?? String(error)}` }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP

type RawResult = { kind: 'answer'; answer: Answer } | { kind: 'no-answer'; detail: string };

function parseResponse(raw: Buffer, headRequest: boolean): Answer | null {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = raw.subarray(0, end).toString('latin1').split('\r\n');
  const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '');
  if (!statusLine) return null;
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  const length = headers['content-length'];
  if (headRequest) body = Buffer.alloc(0);
  else if (length !== undefined) body = body.subarray(0, Number(length));
  return { status: Number(statusLine[1]), headers, body: body.toString('utf8') };
}

interface ExchangeOptions {
  headRequest?: boolean;
  timeoutMs?: number;
  /** Written one after another, `pauseMs` apart. */
  pauseMs?: number;
}

/** Sends bytes on a fresh connection and reads until the server closes it (the request says `close`). */
function exchange(port: number, chunks: Buffer[], options: ExchangeOptions = {}): Promise<RawResult> {
  return new Promise((resolve) => {
    const received: Buffer[] = [];
    let settled = false;
    const socket = net.connect({ host: '127.0.0.1', port });
    const finish = (detail: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const answer = parseResponse(Buffer.concat(received), options.headRequest ?? false);
      resolve(answer ? { kind: 'answer', answer } : { kind: 'no-answer', detail });
    };
    const timer = setTimeout(
      () => finish(`no answer within ${options.timeoutMs ?? ANSWER_BOUND_MS} ms`),
      options.timeoutMs ?? ANSWER_BOUND_MS,
    );
    socket.on('data', (data) => received.push(data));
    socket.on('close', () => finish('connection closed without an answer'));
    // A server that answers early and closes makes our remaining writes fail; the answer still counts.
    socket.on('error', (error) =>
      finish(`connection error ${(error as NodeJS.ErrnoException).code ?? error.message}`),
    );
    socket.on('connect', () => {
      void (async () => {
        for (const chunk of chunks) {
          if (settled || socket.destroyed) return;
          socket.write(chunk);
          if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
        }
      })();
    });
  });
}

// ---------------------------------------------------------------------------------------------

afterAll(() => {
  console.log(`bad-input: tried ${tally.tried}, passed ${tally.passed} (seed ${SEED})`);
});

describe(`bad input (seed ${SEED}; set EVENTGATE_FUZZ_SEED to replay another)`, () => {
  let conf: TestConf;
  let tokens: Record<string, string>;
  let config: {
    max_body_bytes?: number;
    max_batch_events?: number;
    topics?: Record<string, { max_event_bytes?: number }>;
  };

  beforeAll(async () => {
    conf = await createTestConf();
    config = JSON.parse(readFileSync(path.join(conf.dir, 'config.json'), 'utf8')) as typeof config;
    tokens = Object.fromEntries(
      await Promise.all(TOKEN_SUBJECTS.map(async (subject) => [subject, await conf.token(subject)])),
    );
  });
  afterAll(() => conf?.cleanup());

  const generatorOptions = (transport: 'event' | 'http'): GeneratorOptions => ({
    rng: createRng(SEED),
    transport,
    tokens,
    // In process the gateway delivers to Kafka and Postgres; the local runtime here, to Postgres only.
    targets: targetsFor(config, transport === 'http' ? ['postgres'] : IN_PROCESS_SINKS),
    maxBodyBytes: config.max_body_bytes ?? DEFAULTS.max_body_bytes,
    maxBatchEvents: config.max_batch_events ?? DEFAULTS.max_batch_events,
  });

  describe('in process: REST (v1) and HTTP API (v2) events straight into the ingest app', () => {
    let gateway: InProcessGateway;

    beforeAll(() => {
      gateway = inProcessGateway(conf.dir);
    });

    it(`answers ${2 * IN_PROCESS_REQUESTS} generated requests below 500, in the error shape, as documented`, async () => {
      const options = generatorOptions('event');
      expect(sweepSize(options)).toBeLessThan(IN_PROCESS_REQUESTS);
      let index = 0;
      for (const request of generateRequests(options, IN_PROCESS_REQUESTS)) {
        for (const shape of ['v1', 'v2'] as const) {
          index++;
          const requestId = `fuzz-${index}`;
          const event = shape === 'v1' ? toV1Event(request, requestId) : toV2Event(request, requestId);
          const before = gateway.deliveryCount();
          const result = await bounded(() => gateway.app(event), ANSWER_BOUND_MS);
          let problems: string[];
          let answerText: string;
          if ('error' in result) {
            problems = [result.error];
            answerText = result.error;
          } else {
            const answer: Answer = {
              status: result.value.statusCode,
              headers: lowercased(result.value.headers),
              body: result.value.body,
            };
            problems = problemsWith(answer, request);
            if (answer.status >= 400 && gateway.deliveryCount() !== before)
              problems.push('rejected, yet something was delivered');
            answerText = describeAnswer(answer);
          }
          tally.record('in-process', request.label, describeRequest(request, shape), problems, answerText);
        }
      }
      expect(report(tally.failuresOf('in-process'))).toBe('');
    });

    it('parses every header in linear time: 100,000-character headers built to make backtracking slow', async () => {
      const token = tokens.TestUser as string;
      const n = 100_000;
      const headerCases: Array<[string, Record<string, string>, number]> = [
        ['Authorization: Bearer, spaces, newline, x', { authorization: `Bearer${' '.repeat(n)}\nx` }, 401],
        ['Authorization: Bearer, tabs, newline, x', { authorization: `Bearer${'\t'.repeat(n)}\nx` }, 401],
        ['bearer: Bearer, spaces, newline, x', { bearer: `Bearer${' '.repeat(n)}\nx` }, 401],
        ['bearer: spaces, newline, x', { bearer: `${' '.repeat(n)}\nx` }, 401],
        [
          'Content-Type: application/ and pluses',
          { authorization: `Bearer ${token}`, 'content-type': `application/${'+'.repeat(n)}` },
          415,
        ],
        [
          'Content-Type: a long +json subtype',
          { authorization: `Bearer ${token}`, 'content-type': `application/${'a.'.repeat(n / 2)}+jso` },
          415,
        ],
        [
          'Idempotency-Key: printable, then a space',
          { authorization: `Bearer ${token}`, 'idempotency-key': `${'k'.repeat(n)} ` },
          400,
        ],
        [
          'X-Correlation-ID: long',
          { authorization: `Bearer ${token}`, 'x-correlation-id': `${'c'.repeat(n)} ` },
          202,
        ],
      ];
      const slow: string[] = [];
      for (const [label, headers, status] of headerCases) {
        const event = toV2Event(
          {
            label,
            method: 'POST',
            path: '/topics/public.cps.za.test',
            query: '',
            headers: Object.entries({ 'content-type': 'application/json', ...headers }),
            body: Buffer.from(
              JSON.stringify({
                event_id: 'linear',
                tenant_id: 't',
                source_app: 'a',
                environment: 'dev',
                timestamp: 1,
              }),
            ),
          },
          'linear-time',
        );
        const started = process.hrtime.bigint();
        const response = await gateway.app(event);
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        tally.record(
          'linear-headers',
          label,
          label,
          response.statusCode === status ? [] : [`status ${response.statusCode}, documented ${status}`],
          `${response.statusCode} in ${ms.toFixed(1)} ms`,
        );
        // A backtracking pattern takes seconds on these; linear parsing, well under a millisecond.
        if (ms > 250) slow.push(`${label}: ${ms.toFixed(0)} ms`);
      }
      expect(slow).toEqual([]);
      expect(report(tally.failuresOf('linear-headers'))).toBe('');
    });

    it('leaves Object.prototype untouched after __proto__ and constructor keys', () => {
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(
        Object.getOwnPropertyNames(Object.getPrototypeOf({}) as object).sort(),
      );
      const probe = {} as Record<string, unknown>;
      expect(probe.polluted).toBeUndefined();
      expect(probe.isAdmin).toBeUndefined();
    });
  });

  describe('over HTTP through the local runtime', () => {
    let database: TestDatabase;
    let runtime: LocalRuntime;
    let port: number;
    let host: string;

    beforeAll(async () => {
      database = await createTestDatabase();
      runtime = await startLocalRuntime({
        port: 0,
        confDir: conf.dir,
        stateDir: `${conf.dir}/state`,
        env: { ...process.env, DATABASE_URL: database.url },
        ephemeralDatabase: true,
      });
      const url = new URL(runtime.url);
      port = Number(url.port);
      host = url.host;
    });
    afterAll(async () => {
      await runtime?.stop();
      await database?.drop();
    });

    const record = (
      phase: string,
      label: string,
      request: string,
      method: string,
      result: RawResult,
      expected?: readonly number[],
    ): void => {
      if (result.kind === 'no-answer') {
        tally.record(phase, label, request, [result.detail], result.detail);
        return;
      }
      tally.record(
        phase,
        label,
        request,
        problemsWith(result.answer, { method, expected }),
        describeAnswer(result.answer),
      );
    };

    it(`answers ${HTTP_REQUESTS} generated requests below 500, in the error shape, as documented`, async () => {
      const requests = generateRequests(generatorOptions('http'), HTTP_REQUESTS);
      const worker = async (): Promise<void> => {
        for (let next = requests.next(); !next.done; next = requests.next()) {
          const request = next.value;
          const bytes = toHttpBytes(request, host);
          const result = await exchange(port, [bytes], { headRequest: request.method === 'HEAD' });
          record(
            'http',
            request.label,
            describeRequest(request, 'http'),
            request.method,
            result,
            request.expected,
          );
        }
      };
      await Promise.all(Array.from({ length: HTTP_CONCURRENCY }, () => worker()));
      expect(report(tally.failuresOf('http'))).toBe('');
    });

    it('answers bodies around the 10 MiB front limit with 413 in the error shape', async () => {
      const limit = GATEWAY_PAYLOAD_LIMIT;
      const head = (length: string, extra = ''): Buffer =>
        Buffer.from(
          `POST /topics/public.cps.za.test HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\nContent-Type: application/json\r\n${extra}${length}\r\n`,
          'latin1',
        );
      const filler = (size: number): Buffer => Buffer.alloc(size, 0x20);
      const cases: Array<{ label: string; chunks: Buffer[] }> = [
        // At the limit the front passes it on and the app's max_body_bytes answers.
        { label: 'front/body-at-front-limit', chunks: [head(`Content-Length: ${limit}\r\n`), filler(limit)] },
        {
          label: 'front/body-over-front-limit',
          chunks: [head(`Content-Length: ${limit + 1}\r\n`), filler(limit + 1)],
        },
        {
          label: 'front/chunked-body-over-front-limit',
          chunks: [
            head('Transfer-Encoding: chunked\r\n'),
            ...Array.from({ length: 12 }, () =>
              Buffer.concat([
                Buffer.from(`${(1 << 20).toString(16)}\r\n`),
                filler(1 << 20),
                Buffer.from('\r\n'),
              ]),
            ),
            Buffer.from('0\r\n\r\n'),
          ],
        },
        {
          label: 'front/declared-20MiB-sent-11MiB',
          chunks: [head(`Content-Length: ${2 * limit}\r\n`), filler(limit + (1 << 20))],
        },
      ];
      for (const { label, chunks } of cases) {
        const result = await exchange(port, chunks, { timeoutMs: 15_000 });
        record('front-size', label, `[http] POST /topics/public.cps.za.test ${label}`, 'POST', result, [413]);
      }
      expect(report(tally.failuresOf('front-size'))).toBe('');
    });

    it('answers malformed HTTP with a 4xx in the error shape and a correlation id', async () => {
      const crlf = (text: string): Buffer => Buffer.from(text, 'latin1');
      const h = `Host: ${host}\r\n`;
      const cases: Array<[string, Buffer]> = [
        ['garbage-line', crlf('GARBAGE\r\n\r\n')],
        ['binary-noise', Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 97 + 13) & 0xff))],
        ['unknown-http-version', crlf(`GET /topics HTTP/9.9\r\n${h}\r\n`)],
        ['missing-host', crlf('GET /topics HTTP/1.1\r\nConnection: close\r\n\r\n')],
        ['space-in-header-name', crlf(`GET /topics HTTP/1.1\r\n${h}Bad Header: x\r\n\r\n`)],
        ['header-without-colon', crlf(`GET /topics HTTP/1.1\r\n${h}NoColon\r\n\r\n`)],
        ['nul-in-header-value', crlf(`GET /topics HTTP/1.1\r\n${h}X-A: a\u0000b\r\n\r\n`)],
        ['obs-fold', crlf(`GET /topics HTTP/1.1\r\n${h}X-A: a\r\n b\r\n\r\n`)],
        [
          'content-length-not-a-number',
          crlf(`POST /topics/public.cps.za.test HTTP/1.1\r\n${h}Content-Length: abc\r\n\r\n{}`),
        ],
        [
          'two-content-lengths',
          crlf(
            `POST /topics/public.cps.za.test HTTP/1.1\r\n${h}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
          ),
        ],
        [
          'content-length-and-chunked',
          crlf(
            `POST /topics/public.cps.za.test HTTP/1.1\r\n${h}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
          ),
        ],
        [
          'bad-chunk-size',
          crlf(
            `POST /topics/public.cps.za.test HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
          ),
        ],
        [
          'transfer-encoding-not-chunked',
          crlf(`POST /topics/public.cps.za.test HTTP/1.1\r\n${h}Transfer-Encoding: gzip\r\n\r\n{}`),
        ],
        ['lowercase-method', crlf(`get /topics HTTP/1.1\r\n${h}\r\n`)],
        ['unknown-method', crlf(`FOO /topics HTTP/1.1\r\n${h}\r\n`)],
        ['connect-method', crlf(`CONNECT 127.0.0.1:9 HTTP/1.1\r\n${h}\r\n`)],
        ['space-in-target', crlf(`GET /topics/a b HTTP/1.1\r\n${h}\r\n`)],
        ['target-without-slash', crlf(`GET topics HTTP/1.1\r\n${h}\r\n`)],
        ['headers-over-16KiB', crlf(`GET /topics HTTP/1.1\r\n${h}X-Big: ${'b'.repeat(20_000)}\r\n\r\n`)],
        ['target-over-16KiB', crlf(`GET /${'a'.repeat(20_000)} HTTP/1.1\r\n${h}\r\n`)],
        [
          'unknown-expectation',
          crlf(
            `POST /topics/public.cps.za.test HTTP/1.1\r\n${h}Expect: 200-ok\r\nContent-Length: 2\r\n\r\n{}`,
          ),
        ],
        ['http2-preface', crlf('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')],
        [
          'tls-client-hello',
          Buffer.from([
            0x16,
            0x03,
            0x01,
            0x00,
            0x2e,
            0x01,
            0x00,
            0x00,
            0x2a,
            0x03,
            0x03,
            ...Array.from({ length: 40 }, () => 0x41),
          ]),
        ],
      ];
      // HTTP/0.9 has no headers to be malformed; Node answers it as HTTP/1.x, which is fine.
      record(
        'front-malformed',
        'front/http-0.9',
        '[raw] GET /topics (HTTP/0.9)',
        'GET',
        await exchange(port, [crlf('GET /topics\r\n\r\n')]),
        [200],
      );
      for (const [label, bytes] of cases) {
        const result = await exchange(port, [bytes]);
        const summary = `[raw] ${JSON.stringify(bytes.subarray(0, 70).toString('latin1'))}`;
        if (result.kind === 'answer' && (result.answer.status < 400 || result.answer.status >= 500)) {
          tally.record(
            'front-malformed',
            `front/${label}`,
            summary,
            [`status ${result.answer.status}, documented: a 4xx`],
            describeAnswer(result.answer),
          );
        } else {
          record('front-malformed', `front/${label}`, summary, 'GET', result);
        }
      }
      // Whatever it made of all that, the front is still up and answering.
      record(
        'front-malformed',
        'front/still-serving',
        '[http] GET /topics',
        'GET',
        await exchange(port, [toHttpBytes(plainGet('/topics'), host)]),
        [200],
      );
      expect(report(tally.failuresOf('front-malformed'))).toBe('');
    });

    it('keeps serving while clients dribble partial requests (slowloris)', async () => {
      const dribblers = Array.from({ length: 16 }, (_, i) => {
        const partial = i % 2 === 0;
        // Half send headers one line at a time; half send complete headers and then the body a byte at a time.
        const chunks = partial
          ? [
              Buffer.from(`POST /topics/public.cps.za.test HTTP/1.1\r\nHost: ${host}\r\n`),
              ...Array.from({ length: 30 }, (_, n) => Buffer.from(`X-Slow-${n}: ${n}\r\n`)),
            ]
          : [
              Buffer.from(
                `POST /topics/public.cps.za.test HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`,
              ),
              ...Array.from({ length: 30 }, () => Buffer.from(' ')),
            ];
        // Bounded to three seconds: the front's own timeouts are longer, so these must simply not be answered yet.
        return exchange(port, chunks, { pauseMs: 100, timeoutMs: 3_000 });
      });
      const served: RawResult[] = [];
      for (let i = 0; i < 40; i++) {
        served.push(await exchange(port, [toHttpBytes(plainGet('/topics'), host)]));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      for (const result of served)
        record(
          'slowloris',
          'slowloris/others-still-served',
          '[http] GET /topics during slowloris',
          'GET',
          result,
          [200],
        );
      for (const result of await Promise.all(dribblers)) {
        const problems =
          result.kind === 'answer' && result.answer.status < 400
            ? [`an incomplete request was answered ${result.answer.status}`]
            : result.kind === 'answer'
              ? problemsWith(result.answer, { method: 'POST' })
              : [];
        tally.record(
          'slowloris',
          'slowloris/dribbler',
          '[raw] partial POST dribbled 100 ms apart',
          problems,
          result.kind === 'answer' ? describeAnswer(result.answer) : result.detail,
        );
      }
      expect(report(tally.failuresOf('slowloris'))).toBe('');
    });
  });

  it('bounds how long the HTTP front waits for headers and for a whole request', async () => {
    const front = await startLocalHttpServer(async () => ({ statusCode: 200, headers: {}, body: '' }), 0);
    try {
      // Closing a dribbling connection is Node's job once these are finite; waiting for it here would take tens of seconds.
      expect(front.server.headersTimeout).toBeGreaterThan(0);
      expect(front.server.headersTimeout).toBeLessThanOrEqual(60_000);
      expect(front.server.requestTimeout).toBeGreaterThan(0);
      expect(front.server.requestTimeout).toBeLessThanOrEqual(120_000);
    } finally {
      await front.close();
    }
  });

  it('passes every request it tried', () => {
    expect(tally.tried).toBeGreaterThanOrEqual(10_000);
    expect(`passed ${tally.passed} of ${tally.tried}`).toBe(`passed ${tally.tried} of ${tally.tried}`);
  });
});

function plainGet(path: string): GeneratedRequest {
  return { label: 'plain', method: 'GET', path, query: '', headers: [], body: null };
}

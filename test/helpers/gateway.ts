import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type KeyLike } from 'jose';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Delivery, DeliveryHealth, DeliveryReport } from '../../shared/delivery/types';
import type { Envelope } from '../../shared/envelope';
import type { SinkName } from '../../shared/sinks/types';

const REPO_CONF = path.join(__dirname, '..', '..', 'conf');

export interface TestConf {
  dir: string;
  signer: { privateKey: KeyLike; kid: string };
  token(
    subject: string | null,
    options?: { expiresIn?: string; claims?: Record<string, unknown> },
  ): Promise<string>;
  /** Rewrites config.json with the given changes merged in. */
  setConfig(changes: Record<string, unknown>): void;
  cleanup(): void;
}

/** A copy of the shipped conf/ whose token keys point at a freshly generated key pair. */
export async function createTestConf(): Promise<TestConf> {
  const dir = mkdtempSync(path.join(tmpdir(), 'eventgate-conf-'));
  cpSync(REPO_CONF, dir, { recursive: true });
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = 'test-key';
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  writeFileSync(path.join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
  const setConfig = (changes: Record<string, unknown>): void => {
    const file = path.join(dir, 'config.json');
    const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...config, ...changes }, null, 2));
  };
  setConfig({ token_public_keys_url: path.join(dir, 'jwks.json') });
  return {
    dir,
    signer: { privateKey, kid },
    async token(subject, options = {}) {
      const jwt = new SignJWT({ ...options.claims })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '1h');
      if (subject !== null) jwt.setSubject(subject);
      return jwt.sign(privateKey);
    },
    setConfig,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface RequestSpec {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | null;
  base64?: boolean;
}

export function v2Event(spec: RequestSpec): APIGatewayProxyEventV2 {
  const body = spec.body ?? undefined;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: spec.path,
    rawQueryString: '',
    headers: spec.headers ?? {},
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: spec.method,
        path: spec.path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'jest',
      },
      requestId: 'req-v2',
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: Date.now(),
    },
    body: spec.base64 && body !== undefined ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: spec.base64 ?? false,
  };
}

export function v1Event(spec: RequestSpec): APIGatewayProxyEvent {
  return {
    resource: '/{proxy+}',
    path: spec.path,
    httpMethod: spec.method,
    headers: spec.headers ?? {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      requestId: 'req-v1',
      identity: { sourceIp: '127.0.0.1' },
    } as APIGatewayProxyEvent['requestContext'],
    body: spec.body ?? null,
    isBase64Encoded: false,
  };
}

/**
 * A delivery that records what it was given and fails the sinks it is told to. It answers the
 * questions that depend on the way out (size limit, health) like the real delivery it stands in for.
 */
export class RecordingDelivery implements Delivery {
  readonly calls: Array<{ sinks: SinkName[]; events: Envelope[] }> = [];
  failing = new Set<SinkName>();

  /** `like`: the delivery whose health this one reports (none: nothing to check). */
  constructor(private readonly like: Pick<Delivery, 'health'> = { health: async () => new Map() }) {}

  health(sinks: readonly SinkName[], timeoutMs: number): Promise<DeliveryHealth> {
    return this.like.health(sinks, timeoutMs);
  }

  async deliver(sinks: readonly SinkName[], events: readonly Envelope[]): Promise<DeliveryReport> {
    this.calls.push({ sinks: [...sinks], events: [...events] });
    const report: DeliveryReport = new Map();
    for (const event of events) {
      const failures = sinks
        .filter((sink) => this.failing.has(sink))
        .map((sink) => ({ type: sink, message: `${sink} is down` }));
      if (failures.length > 0) report.set(event.id, failures);
    }
    return report;
  }

  get delivered(): Envelope[] {
    return this.calls.flatMap((call) => call.events);
  }
}

export const validTestEvent = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  event_id: 'e-1',
  tenant_id: 'avms',
  source_app: 'jest',
  environment: 'dev',
  timestamp: 1_700_000_000_000,
  ...overrides,
});

export const validRunsEvent = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  event_id: 'run-1',
  job_ref: 'job-1',
  tenant_id: 'avms',
  source_app: 'restricted-app',
  source_app_version: '1.0.0',
  environment: 'dev',
  timestamp_start: 1,
  timestamp_end: 2,
  jobs: [{ catalog_id: 'c1', status: 'succeeded', timestamp_start: 1, timestamp_end: 2 }],
  ...overrides,
});

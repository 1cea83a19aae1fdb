import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

export interface PresignRequest {
  method: string;
  host: string;
  path: string;
  query: Record<string, string>;
  service: string;
  region: string;
  credentials: AwsCredentials;
  signingDate: Date;
  expiresInSeconds: number;
  /** Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD` where the service allows it. */
  payloadHash: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const EMPTY_BODY_SHA256 = createHash('sha256').update('').digest('hex');
const MSK_TOKEN_TTL_SECONDS = 900;
const MSK_SIGNING_SERVICE = 'kafka-cluster';
// MSK reads the client library from this parameter; it is added after signing, as AWS's own signers do.
const MSK_USER_AGENT = 'eventgate-kafkajs';

// RFC 3986 unreserved characters stay; everything else is percent-encoded, as SigV4 requires.
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

function canonicalQuery(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([key, value]) => [uriEncode(key), uriEncode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

/**
 * AWS Signature Version 4 in query-string form (a presigned URL) with only the `host` header
 * signed. Returns the full query, signature included.
 */
export function presignQuery(request: PresignRequest): Record<string, string> {
  const longDate = request.signingDate
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const shortDate = longDate.slice(0, 8);
  const scope = `${shortDate}/${request.region}/${request.service}/aws4_request`;
  const query: Record<string, string> = {
    ...request.query,
    'X-Amz-Algorithm': ALGORITHM,
    'X-Amz-Credential': `${request.credentials.accessKeyId}/${scope}`,
    'X-Amz-Date': longDate,
    'X-Amz-Expires': String(request.expiresInSeconds),
    'X-Amz-SignedHeaders': 'host',
  };
  if (request.credentials.sessionToken) query['X-Amz-Security-Token'] = request.credentials.sessionToken;

  const canonicalRequest = [
    request.method,
    request.path.split('/').map(uriEncode).join('/'),
    canonicalQuery(query),
    `host:${request.host}\n`,
    'host',
    request.payloadHash,
  ].join('\n');
  const stringToSign = [ALGORITHM, longDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(
    hmac(
      hmac(hmac(`AWS4${request.credentials.secretAccessKey}`, shortDate), request.region),
      request.service,
    ),
    'aws4_request',
  );
  return { ...query, 'X-Amz-Signature': createHmac('sha256', signingKey).update(stringToSign).digest('hex') };
}

/**
 * The OAUTHBEARER token Amazon MSK accepts for IAM authentication: a presigned
 * `kafka-cluster:Connect` URL, base64url-encoded without padding. Valid for 15 minutes; kafkajs
 * asks for a fresh one on every new connection.
 */
export function mskIamToken(region: string, credentials: AwsCredentials, signingDate = new Date()): string {
  const host = `kafka.${region}.amazonaws.com`;
  const query = presignQuery({
    method: 'GET',
    host,
    path: '/',
    query: { Action: 'kafka-cluster:Connect' },
    service: MSK_SIGNING_SERVICE,
    region,
    credentials,
    signingDate,
    expiresInSeconds: MSK_TOKEN_TTL_SECONDS,
    payloadHash: EMPTY_BODY_SHA256,
  });
  query['User-Agent'] = MSK_USER_AGENT;
  const url = `https://${host}/?${canonicalQuery(query)}`;
  return Buffer.from(url, 'utf8').toString('base64url');
}

let defaultChain: AwsCredentialsProvider | undefined;

/**
 * The SDK's default chain (environment, web identity, container, instance profile, SSO, profile),
 * built once: it caches credentials and refreshes them before they expire.
 */
export async function defaultAwsCredentials(): Promise<AwsCredentials> {
  if (!defaultChain) {
    const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
    defaultChain = defaultProvider();
  }
  return defaultChain();
}

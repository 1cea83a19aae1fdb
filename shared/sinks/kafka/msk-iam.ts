import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

const MSK_TOKEN_TTL_SECONDS = 900;
const MSK_SIGNING_SERVICE = 'kafka-cluster';
// MSK reads the client library from this parameter; it is added after signing, as AWS's own signers do.
const MSK_USER_AGENT = 'eventgate-kafkajs';

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): Buffer | string {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 and HMAC-SHA-256 on node:crypto, in the shape the SDK's signer takes. */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

// RFC 3986 unreserved characters stay; everything else is percent-encoded (a space is %20, not +).
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function queryString(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([key, value]) => [uriEncode(key), uriEncode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

/**
 * The OAUTHBEARER token Amazon MSK accepts for IAM authentication: a `kafka-cluster:Connect` URL
 * presigned with SigV4 by the AWS SDK's signer, base64url-encoded without padding. Valid for 15
 * minutes; kafkajs asks for a fresh one on every new connection.
 */
export async function mskIamToken(
  region: string,
  credentials: AwsCredentials,
  signingDate = new Date(),
): Promise<string> {
  const host = `kafka.${region}.amazonaws.com`;
  const signer = new SignatureV4({ service: MSK_SIGNING_SERVICE, region, credentials, sha256: NodeSha256 });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: host,
      path: '/',
      query: { Action: 'kafka-cluster:Connect' },
      headers: { host },
    },
    { expiresIn: MSK_TOKEN_TTL_SECONDS, signingDate },
  );
  const query: Record<string, string> = { 'User-Agent': MSK_USER_AGENT };
  for (const [name, value] of Object.entries(presigned.query ?? {})) {
    if (typeof value === 'string') query[name] = value;
  }
  return Buffer.from(`https://${host}/?${queryString(query)}`, 'utf8').toString('base64url');
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

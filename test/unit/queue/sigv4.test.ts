/**
 * The async path's SigV4 signer against the SDK's own (`@smithy/signature-v4`): the same request,
 * credentials and time must give the same headers, signature included.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { HttpRequest } from '@smithy/core/transport';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  canonicalPath,
  SigV4Signer,
  type SigningCredentials,
  type SignedPost,
} from '../../../shared/queue/sigv4';

const KEYS: SigningCredentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const SESSION: SigningCredentials = {
  ...KEYS,
  sessionToken: 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ',
};

function post(overrides: Partial<SignedPost> = {}): SignedPost {
  return {
    host: 'sqs.eu-west-1.amazonaws.com',
    path: '/',
    contentType: 'application/x-amz-json-1.0',
    target: 'AmazonSQS.SendMessageBatch',
    body: '{"QueueUrl":"https://sqs.eu-west-1.amazonaws.com/1/q","Entries":[{"Id":"0","MessageBody":"{\\"a\\":1}"}]}',
    ...overrides,
  };
}

async function sdkHeaders(
  request: SignedPost,
  credentials: SigningCredentials,
  region: string,
  atMs: number,
): Promise<Record<string, string>> {
  const signer = new SignatureV4({ service: 'sqs', region, credentials, sha256: Sha256 });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: 'https:',
      hostname: request.host.split(':')[0] ?? request.host,
      path: request.path,
      headers: {
        host: request.host,
        'content-type': request.contentType,
        'x-amz-target': request.target,
        'content-length': String(
          typeof request.body === 'string' ? Buffer.byteLength(request.body) : request.body.length,
        ),
      },
      body: request.body,
    }),
    { signingDate: new Date(atMs) },
  );
  return signed.headers;
}

/** The SDK's own SHA-256 for Node.js, as an SQS client resolves it. */
const Sha256 = new SQSClient({ region: 'us-east-1' }).config.sha256;

const AT = Date.UTC(2026, 10, 30, 23, 59, 59, 987);

describe('SigV4Signer', () => {
  it.each([
    ['long-term keys', post(), KEYS, 'eu-west-1'],
    ['a session token', post(), SESSION, 'eu-west-1'],
    [
      'a local endpoint with a port and a path',
      post({ host: 'localhost:4566', path: '/sqs/./a b/../q(1)/' }),
      KEYS,
      'us-east-1',
    ],
    ['a body outside ASCII', post({ body: '{"MessageBody":"ünïcödé ✓ 𝄞"}' }), SESSION, 'ap-southeast-2'],
    ['an empty body', post({ body: '' }), KEYS, 'us-east-1'],
    ['a body given as bytes', post({ body: Buffer.from('{"MessageBody":"ünïcödé"}') }), SESSION, 'us-east-1'],
  ])('writes the headers the SDK signer writes, with %s', async (_case, request, credentials, region) => {
    const ours = new SigV4Signer(region, 'sqs').sign(request, credentials, AT);
    expect(ours).toEqual(await sdkHeaders(request, credentials, region, AT));
  });

  it('derives a new signing key when the day or the secret changes', async () => {
    const signer = new SigV4Signer('us-east-1', 'sqs');
    const nextDay = AT + 1_000;
    const rotated: SigningCredentials = { accessKeyId: 'AKIDROTATED', secretAccessKey: 'another-secret' };
    for (const [credentials, atMs] of [
      [KEYS, AT],
      [KEYS, nextDay],
      [rotated, nextDay],
      [KEYS, nextDay],
    ] as const) {
      expect(signer.sign(post(), credentials, atMs)).toEqual(
        await sdkHeaders(post(), credentials, 'us-east-1', atMs),
      );
    }
  });

  it('signs differently when anything signed changes', () => {
    const signer = new SigV4Signer('us-east-1', 'sqs');
    const base = signer.sign(post(), KEYS, AT).authorization;
    expect(signer.sign(post({ body: `${post().body} ` }), KEYS, AT).authorization).not.toBe(base);
    expect(signer.sign(post({ target: 'AmazonSQS.SendMessage' }), KEYS, AT).authorization).not.toBe(base);
    expect(signer.sign(post(), { ...KEYS, secretAccessKey: 'x' }, AT).authorization).not.toBe(base);
    expect(signer.sign(post(), KEYS, AT + 1_000).authorization).not.toBe(base);
  });

  it('double-encodes path segments and resolves dot segments, as SigV4 asks of every service but S3', () => {
    expect(canonicalPath('/')).toBe('/');
    expect(canonicalPath('')).toBe('');
    expect(canonicalPath('/a/./b/../c/')).toBe('/a/c/');
    expect(canonicalPath('/a%20b/(x)')).toBe('/a%2520b/%28x%29');
  });
});

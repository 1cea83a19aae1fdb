import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Secrets Manager stand-in on 127.0.0.1 speaking the service's wire protocol (AWS JSON 1.1) for
 * the three operations EventGate uses: GetSecretValue, PutSecretValue and CreateSecret. Secrets
 * live in memory; errors have the service's shapes, so the SDK raises its own exception types.
 */
export interface SecretsManagerServerHandle {
  endpoint: string;
  secrets: Map<string, string>;
  /** Operations received, in order. */
  calls: string[];
  stop(): Promise<void>;
}

export async function startSecretsManagerServer(): Promise<SecretsManagerServerHandle> {
  const secrets = new Map<string, string>();
  const calls: string[] = [];
  const answer = (response: http.ServerResponse, status: number, body: unknown): void => {
    response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify(body));
  };
  const notFound = (response: http.ServerResponse): void =>
    answer(response, 400, {
      __type: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const operation = String(request.headers['x-amz-target'] ?? '').replace('secretsmanager.', '');
      calls.push(operation);
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, string>;
      const arn = (name: string): string => `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}`;
      switch (operation) {
        case 'GetSecretValue': {
          const value = secrets.get(input.SecretId ?? '');
          if (value === undefined) return notFound(response);
          return answer(response, 200, {
            ARN: arn(input.SecretId as string),
            Name: input.SecretId,
            SecretString: value,
          });
        }
        case 'PutSecretValue':
          if (!secrets.has(input.SecretId ?? '')) return notFound(response);
          secrets.set(input.SecretId as string, input.SecretString ?? '');
          return answer(response, 200, { ARN: arn(input.SecretId as string), Name: input.SecretId });
        case 'CreateSecret':
          if (secrets.has(input.Name ?? '')) {
            return answer(response, 400, { __type: 'ResourceExistsException', message: 'exists' });
          }
          secrets.set(input.Name as string, input.SecretString ?? '');
          return answer(response, 200, { ARN: arn(input.Name as string), Name: input.Name });
        default:
          return answer(response, 400, {
            __type: 'InvalidRequestException',
            message: `unsupported ${operation}`,
          });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    secrets,
    calls,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startEmbeddedSqs } from '../../shared/local/embedded-sqs';

export const FAUXQS_REGION = 'us-east-1';

/** What an AWS SDK client needs to talk to fauxqs (any credentials are accepted). */
export interface FauxqsClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface FauxqsHandle {
  /** `http://127.0.0.1:PORT`, serving SQS and S3 (path-style) on one port. */
  endpoint: string;
  clientConfig: FauxqsClientConfig;
  stop(): Promise<void>;
}

export function fauxqsClientConfig(endpoint: string): FauxqsClientConfig {
  return { endpoint, region: FAUXQS_REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
}

export function fauxqsSqsClient(endpoint: string): SQSClient {
  return new SQSClient(fauxqsClientConfig(endpoint));
}

/** fauxqs serves S3 path-style only (bucket names do not resolve as hosts on 127.0.0.1). */
export function fauxqsS3Client(endpoint: string): S3Client {
  return new S3Client({ ...fauxqsClientConfig(endpoint), forcePathStyle: true });
}

/** An SQS + S3 emulator (fauxqs) on 127.0.0.1, in memory: its state ends with it. */
export async function startFauxqs(): Promise<FauxqsHandle> {
  // The same server the local runtime embeds, so tests and `npm start` exercise one launcher.
  const server = await startEmbeddedSqs();
  return { endpoint: server.endpoint, clientConfig: fauxqsClientConfig(server.endpoint), stop: server.stop };
}

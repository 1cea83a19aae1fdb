/* eslint-disable @typescript-eslint/no-require-imports */
import { getAtt, ref, sub, type CfnResources, type Json } from '../../deploy/cloudformation';
import { bucketName, keyPrefix } from '../../deploy/parameter-rules';
import type { PolicyStatement } from '../../deploy/iam';
import { defineSink } from '../definition';
import type { S3ArchiveSinkOptions } from './sink';
import { s3ArchiveSettings, type S3ArchiveConfigKeys } from './settings';

// Required when the sink is built, never at load (see ../kafka/index.ts).
const client = (): typeof import('./sink') => require('./sink') as typeof import('./sink');

export const ARCHIVE_BUCKET_LOGICAL_ID = 'ArchiveBucket';

/**
 * The archive bucket when no existing one is named: private, encrypted, and kept when the stack is
 * deleted, since it holds the only long-term copy of the events.
 */
function archiveBucketResources(kmsKeyArn: string | undefined): CfnResources {
  const byDefault: Json =
    kmsKeyArn === undefined
      ? { SSEAlgorithm: 'AES256' }
      : { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: kmsKeyArn };
  return {
    [ARCHIVE_BUCKET_LOGICAL_ID]: {
      Type: 'AWS::S3::Bucket',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            // A bucket key spares a KMS call per object.
            { ServerSideEncryptionByDefault: byDefault, BucketKeyEnabled: kmsKeyArn !== undefined },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      },
    },
  };
}

/** Keys the worker may write: the archive prefix of the given or the stack's own bucket. */
function archiveObjectsArn(bucket: string | undefined, prefix: string): Json {
  if (bucket !== undefined) return sub(`arn:\${AWS::Partition}:s3:::${bucket}/${prefix}*`);
  return { 'Fn::Join': ['', [getAtt(ARCHIVE_BUCKET_LOGICAL_ID, 'Arn'), `/${prefix}*`]] };
}

/** S3 archive: one gzip NDJSON object per topic per batch, under a deterministic key. */
export const s3ArchiveSink = defineSink<S3ArchiveSinkOptions>({
  name: 's3',
  settings: s3ArchiveSettings,
  configuredBy: 's3_archive.bucket',
  isConfigured: (config) => Boolean((config as S3ArchiveConfigKeys).s3_archive?.bucket),
  clientOptions: (config, env) => client().s3ArchiveSinkOptionsFromConfig(config as S3ArchiveConfigKeys, env),
  createSink: (options) => new (client().S3ArchiveSink)(options),
  // Configuration read from s3:// locations needs the S3 client too: other functions get it as a
  // separate file loaded on first use (shared/deploy/bundling/lazy-modules.ts).
  clientPackages: ['@aws-sdk/client-s3'],
  deploy: {
    // Without a bucket the stack creates one.
    parameters: { archiveBucket: bucketName, archivePrefix: keyPrefix('events/') },
    contribute({ params, parameter }) {
      const bucket = parameter('archiveBucket');
      const prefix = parameter('archivePrefix') ?? '';
      const statements: PolicyStatement[] = [
        {
          Sid: 'WriteArchive',
          Effect: 'Allow',
          Action: ['s3:PutObject'],
          Resource: [archiveObjectsArn(bucket, prefix)],
        },
      ];
      // The stack's own bucket is encrypted with the deployment's key: writing makes data keys.
      if (bucket === undefined && params.kmsKeyArn !== undefined) {
        statements.push({
          Sid: 'EncryptArchive',
          Effect: 'Allow',
          Action: ['kms:GenerateDataKey'],
          Resource: [params.kmsKeyArn],
        });
      }
      return {
        environment: { ARCHIVE_BUCKET: bucket ?? ref(ARCHIVE_BUCKET_LOGICAL_ID), ARCHIVE_PREFIX: prefix },
        statements,
        resources: bucket === undefined ? archiveBucketResources(params.kmsKeyArn) : {},
      };
    },
  },
});

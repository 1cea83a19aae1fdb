import { ref, type CfnResources, type Json } from './cloudformation';
import { ARCHIVE_BUCKET_LOGICAL_ID } from './names';
import type { DeployParameters } from './parameters';

/**
 * The s3 sink's archive bucket when no existing one is named: private, encrypted, and kept when the
 * stack is deleted, since it holds the only long-term copy of the events.
 */
export function archiveBucketResources(params: DeployParameters): CfnResources {
  if (!params.sinks.includes('s3') || params.archiveBucket !== undefined) return {};
  return {
    [ARCHIVE_BUCKET_LOGICAL_ID]: {
      Type: 'AWS::S3::Bucket',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
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

export function archiveBucketName(params: DeployParameters): Json {
  return params.archiveBucket ?? ref(ARCHIVE_BUCKET_LOGICAL_ID);
}

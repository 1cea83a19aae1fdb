import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

/**
 * What the configuration reader needs of the S3 client, in a module of its own: it is only loaded
 * when some configuration lives at an s3:// location, so the deploy bundles it as a separate file
 * that a function configured from its packaged files never loads (see
 * shared/deploy/bundling/lazy-modules.ts).
 */
export { GetObjectCommand, ListObjectsV2Command, S3Client };

import type { ConfigDocument, SinkSettings } from '../definition';

export interface S3ArchiveSettings {
  bucket: string;
  prefix?: string;
  region?: string;
}

/** The config.json keys of the s3 archive sink. */
export interface S3ArchiveConfigKeys {
  s3_archive?: S3ArchiveSettings;
}

export const s3ArchiveSettings: SinkSettings = {
  properties: {
    s3_archive: {
      type: 'object',
      additionalProperties: false,
      required: ['bucket'],
      properties: {
        bucket: { type: 'string' },
        prefix: { type: 'string' },
        region: { type: 'string', minLength: 1 },
      },
    },
  },
  /** The deployment names the bucket and prefix (`ARCHIVE_BUCKET`, `ARCHIVE_PREFIX`). */
  fromEnvironment(document: ConfigDocument, env: NodeJS.ProcessEnv): ConfigDocument {
    let archive = document.s3_archive as Partial<S3ArchiveSettings> | undefined;
    if (env.ARCHIVE_BUCKET) archive = { ...archive, bucket: env.ARCHIVE_BUCKET };
    if (env.ARCHIVE_PREFIX && archive) archive = { ...archive, prefix: env.ARCHIVE_PREFIX };
    return archive === document.s3_archive ? document : { ...document, s3_archive: archive };
  },
};

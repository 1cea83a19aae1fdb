import { ConfigError } from '../../shared/config/errors';
import { createSinkWorker } from '../../shared/queue/sink-worker';
import { S3ArchiveSink, s3ArchiveSinkOptionsFromConfig } from '../../shared/sinks/s3/sink';

/** Archive queue → one gzip NDJSON object per topic per batch. */
export const handler = createSinkWorker('s3', (config) => {
  const options = s3ArchiveSinkOptionsFromConfig(config);
  if (!options) throw new ConfigError('the s3 sink is not configured (s3_archive.bucket)');
  return new S3ArchiveSink(options);
});

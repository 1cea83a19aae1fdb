import { ConfigError } from '../../shared/config/errors';
import { createSinkWorker } from '../../shared/queue/sink-worker';
import { PostgresSink } from '../../shared/sinks/postgres/sink';
import { postgresSinkOptionsFromConfig } from '../../shared/sinks/postgres/config';

/** Postgres queue → one multi-row insert per topic per batch. */
export const handler = createSinkWorker('postgres', async (config, env) => {
  const options = await postgresSinkOptionsFromConfig(config, env);
  if (!options)
    throw new ConfigError('the postgres sink is not configured (DATABASE_URL, postgres.url or secret)');
  return new PostgresSink(options);
});

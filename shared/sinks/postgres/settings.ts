import type { SinkSettings } from '../definition';
import { PROJECTIONS_SCHEMA, type ProjectionsSetting } from './projections/spec';

export interface PostgresSettings {
  /** Connection URL; `DATABASE_URL` and the Secrets Manager secret are the other ways in. */
  url?: string;
  /** EventGate topic → table name, when the derived name does not suit. */
  tables?: Record<string, string>;
  schema?: string;
  pool_max?: number;
  /** Named prepared statements for the batch INSERT (default true; the embedded database needs false). */
  prepared_statements?: boolean;
  /** Topic → typed tables its events are also written to (see ./projections/spec.ts). */
  projections?: ProjectionsSetting;
  /** Schema of the projection tables; the `schema` of the event tables by default. */
  projection_schema?: string;
}

/** The config.json keys of the postgres sink. */
export interface PostgresConfigKeys {
  postgres?: PostgresSettings;
}

// DATABASE_URL and POSTGRES_SECRET_NAME are read where the connection is made (./config.ts), not
// merged into the document: a secret's credentials are fetched, never written into configuration.
export const postgresSettings: SinkSettings = {
  properties: {
    postgres: {
      type: 'object',
      additionalProperties: false,
      properties: {
        url: { type: 'string' },
        tables: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
        schema: { type: 'string', minLength: 1 },
        pool_max: { type: 'integer', minimum: 1 },
        prepared_statements: { type: 'boolean' },
        projections: PROJECTIONS_SCHEMA,
        projection_schema: { type: 'string', minLength: 1 },
      },
    },
  },
};

/* eslint-disable @typescript-eslint/no-require-imports */
import { arnPrefix, isArn, ref, sub, type Json } from '../../deploy/cloudformation';
import { arnOf, optionalText } from '../../deploy/parameter-rules';
import type { PolicyStatement } from '../../deploy/iam';
import { defineSink } from '../definition';
import type { PostgresSinkOptions } from './sink';
import { postgresSettings, type PostgresConfigKeys } from './settings';

// Required when the sink is built, never at load (see ../kafka/index.ts).
const client = (): typeof import('./sink') => require('./sink') as typeof import('./sink');
const connection = (): typeof import('./config') => require('./config') as typeof import('./config');
const reader = (): typeof import('./read-store') => require('./read-store') as typeof import('./read-store');

/** A secret's ARN ends in `-` and six random characters that its name does not carry. */
function secretArn(name: string, region: string | undefined): Json {
  if (isArn(name)) return name;
  return sub(`${arnPrefix('secretsmanager', region)}secret:${name}-??????`);
}

/** Postgres (pg): one multi-row insert per topic per batch, into tables it migrates itself. */
export const postgresSink = defineSink<PostgresSinkOptions>({
  name: 'postgres',
  settings: postgresSettings,
  configuredBy: 'DATABASE_URL, postgres.url or secret',
  isConfigured: (config, env) =>
    Boolean(env.DATABASE_URL || (config as PostgresConfigKeys).postgres?.url || env.POSTGRES_SECRET_NAME),
  clientOptions: (config, env) =>
    connection().postgresSinkOptionsFromConfig(config as PostgresConfigKeys, env),
  createSink: (options) => new (client().PostgresSink)(options),
  // The read API reads this sink's tables, over read-only connections of its own.
  createReadStore: (postgres, settings) => new (reader().PostgresEventStore)({ ...settings, postgres }),
  // pg's optional native driver is never loaded, and serverless.yml leaves it out of every bundle.
  clientPackages: ['pg', '@aws-sdk/client-secrets-manager'],
  // jsonb cannot hold U+0000 or a lone surrogate: such an event would only ever dead-letter.
  admission: { refusesUnstorableText: true },
  deploy: {
    parameters: {
      postgresSecretName: optionalText,
      postgresSecretRegion: optionalText,
      postgresSecretKmsKeyArn: arnOf('KMS key'),
    },
    contribute({ parameter }) {
      const name = parameter('postgresSecretName');
      if (name === undefined) {
        // A deployed database's credentials live in Secrets Manager, never in the template or the
        // package (config.json's postgres.url is for the local runtime).
        return {
          environment: {} as Record<string, Json>,
          statements: [],
          requiredParameters: [
            {
              parameter: 'postgresSecretName',
              reason: 'the Secrets Manager secret holding host, port, username, password and dbname',
            },
          ],
        };
      }
      const region = parameter('postgresSecretRegion');
      const statements: PolicyStatement[] = [
        {
          Sid: 'ReadDatabaseSecret',
          Effect: 'Allow',
          Action: ['secretsmanager:GetSecretValue'],
          Resource: [secretArn(name, region)],
        },
      ];
      const kmsKey = parameter('postgresSecretKmsKeyArn');
      if (kmsKey !== undefined) {
        statements.push({
          Sid: 'DecryptDatabaseSecret',
          Effect: 'Allow',
          Action: ['kms:Decrypt'],
          Resource: [kmsKey],
        });
      }
      return {
        environment: { POSTGRES_SECRET_NAME: name, POSTGRES_SECRET_REGION: region ?? ref('AWS::Region') },
        statements,
        // RDS and Aurora usually sit in private subnets.
        vpcAccess: true,
      };
    },
  },
});

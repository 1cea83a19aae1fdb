import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

/**
 * What token issuance needs of the Secrets Manager client, in a module of its own: it is loaded
 * only when the clients or the signing key live in Secrets Manager. A function whose bundle does
 * not carry the client anyway (the ingest function) gets it as a separate file of its zip (see
 * shared/deploy/bundling/lazy-modules.ts), so it runs the pinned SDK version, not the runtime's.
 */
export { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient };

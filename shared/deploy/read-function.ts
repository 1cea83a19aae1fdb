import type { SinkDeployContribution } from '../sinks/definition';
import { READ_ROUTES } from '../read/routes';
import type { Json } from './cloudformation';
import type { ServerlessFunction } from './functions';
import { configBucketStatement, withSidPrefix, type PolicyStatement } from './iam';
import { functionName, roleLogicalId } from './names';
import type { DeployParameters } from './parameters';

export const READ_FUNCTION_KEY = 'read';

/** Reads are quick or cancelled by the statement timeout; this leaves room for a cold start. */
const READ_TIMEOUT_SECONDS = 15;

/**
 * The read API as a function of its own, deployed with the sink it reads from (the one whose
 * definition has a `readStore`): its own concurrency, so a burst of reads never takes ingest's, and
 * its own role. `source` is that sink's contribution: the read function connects as its worker does.
 */
export function readFunction(params: DeployParameters, source: SinkDeployContribution): ServerlessFunction {
  return {
    handler: 'functions/read.handler',
    name: functionName(params.service, params.stage, READ_FUNCTION_KEY),
    description: 'EventGate read API: stored events of a topic and run stats, from Postgres',
    role: roleLogicalId(READ_FUNCTION_KEY),
    timeout: Math.min(READ_TIMEOUT_SECONDS, params.ingestTimeoutSeconds),
    memorySize: params.memorySize,
    environment: { ...source.environment },
    events: READ_ROUTES.flatMap((route) =>
      route.methods.map((method): Json => ({ httpApi: { method, path: route.path } })),
    ),
    ...(params.tracing ? { tracing: 'Active' as const } : {}),
  };
}

/**
 * What the read function may do: what the sink's client may (for Postgres, fetch the database
 * secret), and read configuration kept in S3.
 */
export function readStatements(params: DeployParameters, source: SinkDeployContribution): PolicyStatement[] {
  return [...withSidPrefix('Read', source.statements), ...configBucketStatement(params)];
}

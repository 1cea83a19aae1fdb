import path from 'node:path';

import * as builders from '../../../shared/deploy';

type Resolve = (variable: string) => Promise<unknown>;

interface Bridge {
  functions(context: { resolveVariable: Resolve }): Promise<Record<string, unknown>>;
  resources(context: { resolveVariable: Resolve }): Promise<{ Resources: Record<string, unknown> }>;
}

interface BridgeModule {
  createBridge(loadBuilders: () => typeof builders): Bridge;
}

const bridgeModule = jest.requireActual<BridgeModule>(
  path.resolve(__dirname, '..', '..', '..', 'shared', 'deploy', 'serverless.js'),
);

/** A fresh bridge over the builders as ts-jest compiles them (Serverless loads them through tsx). */
function loadBridge(): Bridge {
  return bridgeModule.createBridge(() => builders);
}

/** Answers the variables the bridge asks for the way Serverless would, recording each request. */
function resolverFor(values: Record<string, unknown>, asked: string[]) {
  return async (variable: string): Promise<unknown> => {
    asked.push(variable);
    const name = variable.replace(/^param:/, '').replace(/, null$/, '');
    if (variable === 'self:service') return 'eventgate';
    if (variable === 'self:provider.stage') return 'qa';
    return values[name] ?? null;
  };
}

describe('serverless.yml bridge', () => {
  test('reads the stage and every parameter, and builds the functions of the enabled sinks', async () => {
    const asked: string[] = [];
    const bridge = loadBridge();
    const functions = await bridge.functions({
      resolveVariable: resolverFor({ sinks: 'kafka', kafkaBrokers: 'b-1:9092', alarmTopicArn: '' }, asked),
    });
    expect(Object.keys(functions)).toEqual(['ingest', 'kafkaWorker']);
    expect(functions.kafkaWorker).toMatchObject({ name: 'eventgate-qa-kafka-worker' });
    for (const name of builders.deployParameterNames()) expect(asked).toContain(`param:${name}, null`);
    expect(asked).toContain('self:custom.eventgate.overrides, null');
  });

  test('applies custom.eventgate.overrides to the generated resources', async () => {
    const bridge = loadBridge();
    const resolveVariable: Resolve = async (variable) =>
      variable === 'self:custom.eventgate.overrides, null'
        ? { S3Queue: { Properties: { MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: null } } }
        : resolverFor({ sinks: 's3' }, [])(variable);
    const resources = await bridge.resources({ resolveVariable });
    const queue = resources.Resources.S3Queue as { Properties: Record<string, unknown> };
    expect(queue.Properties.MessageRetentionPeriod).toBe(1_209_600);
    expect(queue.Properties).not.toHaveProperty('SqsManagedSseEnabled');
    expect(queue.Properties.QueueName).toBe('eventgate-qa-s3');
  });

  test('refuses overrides of anything but properties and policies', async () => {
    const bridge = loadBridge();
    const resolveVariable: Resolve = async (variable) =>
      variable === 'self:custom.eventgate.overrides, null'
        ? { S3Queue: { Type: 'AWS::SNS::Topic' } }
        : resolverFor({ sinks: 's3' }, [])(variable);
    await expect(bridge.resources({ resolveVariable })).rejects.toThrow(/may change Properties/);
  });

  test('hands every property the same deployment', async () => {
    const bridge = loadBridge();
    const resolveVariable = resolverFor({ sinks: 's3' }, []);
    const functions = await bridge.functions({ resolveVariable });
    const resources = await bridge.resources({ resolveVariable: resolverFor({ sinks: 'kafka' }, []) });
    expect(Object.keys(functions)).toEqual(['ingest', 's3Worker']);
    expect(Object.keys(resources.Resources)).toContain('S3Queue');
  });

  test('retries after a failure instead of keeping it', async () => {
    const bridge = loadBridge();
    await expect(
      bridge.functions({ resolveVariable: resolverFor({ sinks: 'rabbitmq' }, []) }),
    ).rejects.toThrow(/unknown sinks/);
    const functions = await bridge.functions({
      resolveVariable: resolverFor({ sinks: 'postgres', postgresSecretName: 'eventgate/db' }, []),
    });
    expect(Object.keys(functions)).toEqual(['ingest', 'postgresWorker', 'read']);
  });
});

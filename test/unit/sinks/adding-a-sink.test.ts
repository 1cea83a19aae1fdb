import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import { validateConfiguration } from '../../../shared/cli/validate';
import { parseConfig } from '../../../shared/config/parse';
import { buildDeployment, deployParameterNames, parseDeployParameters } from '../../../shared/deploy';
import { optionalText } from '../../../shared/deploy/parameter-rules';
import { createEnvelope, type Envelope } from '../../../shared/envelope';
import { GatewayStateLoader } from '../../../shared/gateway/state';
import { createSinkWorker } from '../../../shared/queue/sink-worker';
import { SINK_DEFINITIONS, SinkCatalog } from '../../../shared/sinks/catalog';
import { defineSink, type SinkDeployContribution } from '../../../shared/sinks/definition';
import { SinkRegistry } from '../../../shared/sinks/registry';
import { deliveredAll, type Sink } from '../../../shared/sinks/types';
import { MemoryEventStore } from '../../helpers/read-store';

const REPO_ROOT = path.join(__dirname, '..', '..', '..');

/** A sink that keeps what it is given: everything a real one declares, nothing it needs a peer for. */
interface NotebookOptions {
  shelf: string;
  pages: number;
}
const written: Array<{ options: NotebookOptions; events: Envelope[] }> = [];
let contributionExtras: Partial<SinkDeployContribution> = {};

const notebookSink = defineSink<NotebookOptions>({
  name: 'notebook',
  settings: {
    properties: {
      notebook: {
        type: 'object',
        additionalProperties: false,
        required: ['shelf'],
        properties: {
          shelf: { type: 'string', minLength: 1 },
          pages: { type: 'integer', minimum: 1, default: 100 },
        },
      },
    },
    fromEnvironment: (document, env) =>
      env.NOTEBOOK_SHELF
        ? { ...document, notebook: { ...(document.notebook as object), shelf: env.NOTEBOOK_SHELF } }
        : document,
  },
  configuredBy: 'notebook.shelf',
  isConfigured: (config) => Boolean((config.notebook as { shelf?: string } | undefined)?.shelf),
  clientOptions: (config) => config.notebook as NotebookOptions | undefined,
  createSink: (options): Sink => ({
    name: 'notebook',
    write: async (events) => {
      written.push({ options, events: [...events] });
      return deliveredAll(events);
    },
    health: async () => ({ status: 'ok' }),
    close: async () => undefined,
  }),
  clientPackages: [],
  deploy: {
    parameters: { notebookShelf: optionalText },
    contribute: ({ parameter }) => ({
      environment: { NOTEBOOK_SHELF: parameter('notebookShelf') ?? 'default' },
      statements: [{ Sid: 'WriteNotebook', Effect: 'Allow', Action: ['notebook:Write'], Resource: ['*'] }],
      alarms: {
        NotebookFullAlarm: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: {
            AlarmName: 'notebook-full',
            MetricName: 'Pages',
            Namespace: 'Notebook',
            Threshold: 1,
          },
        },
      },
      widgets: [{ title: 'pages written', metrics: [['Notebook', 'Pages']], stat: 'Sum' }],
      ...contributionExtras,
    }),
  },
});

const catalog = new SinkCatalog([...SINK_DEFINITIONS, notebookSink]);

describe('a sink added as one definition in the list', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'eventgate-notebook-'));
    cpSync(path.join(REPO_ROOT, 'conf'), dir, { recursive: true });
    written.length = 0;
    contributionExtras = {};
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function writeConfig(changes: Record<string, unknown>): string {
    const text = JSON.stringify({ access_config: 'access.json', ...changes }, null, 2);
    writeFileSync(path.join(dir, 'config.json'), text);
    return text;
  }

  test('validate checks its settings with its schema, and topics may route to it', async () => {
    const text = writeConfig({
      notebook: { shelf: 'a', pages: 0 },
      topics: { 'public.cps.za.test': { sinks: ['notebook'] } },
    });
    expect(await validateConfiguration(dir, {}, catalog)).toEqual([
      {
        file: path.join(dir, 'config.json'),
        line: text.slice(0, text.indexOf('"pages"')).split('\n').length,
        message: '/notebook/pages must be >= 1',
      },
    ]);
    writeConfig({ notebook: { shelf: 'a' }, topics: { 'public.cps.za.test': { sinks: ['notebook'] } } });
    expect(await validateConfiguration(dir, {}, catalog)).toEqual([]);
    // Without the definition, the same configuration names an unknown sink and an unknown key.
    const withoutIt = (await validateConfiguration(dir, {})).map((problem) => problem.message);
    expect(withoutIt).toEqual(
      expect.arrayContaining([
        'config has unknown key "notebook"',
        '/topics/public.cps.za.test/sinks/0 must be one of "kafka", "eventbridge", "postgres", "s3"',
      ]),
    );
  });

  test('the gateway counts it as available once configured, and the registry builds it', async () => {
    writeConfig({ notebook: { shelf: 'a' } });
    const state = await new GatewayStateLoader({ confDir: dir, env: {}, catalog }).current();
    expect(state.sinks).toEqual(['notebook']);
    expect(state.topics.get('public.cps.za.test')?.sinks).toEqual(['notebook']);
    const sink = await new SinkRegistry(state.config, {}, catalog).get('notebook');
    expect(sink.name).toBe('notebook');

    const unconfigured = new SinkRegistry(parseConfig({}, 'config.json', catalog), {}, catalog);
    await expect(unconfigured.get('notebook')).rejects.toThrow(
      'the notebook sink is not configured (notebook.shelf)',
    );
  });

  test('its worker, built by the factory every worker uses, delivers a batch with defaults filled in', async () => {
    writeConfig({});
    const batch = [1, 2, 3].map((index) =>
      createEnvelope({
        topic: 'public.cps.za.test',
        payload: { index },
        subject: 's',
        correlationId: `c-${index}`,
      }),
    );
    const event: SQSEvent = {
      Records: batch.map((envelope, index) => ({
        messageId: `m-${index}`,
        receiptHandle: `r-${index}`,
        body: JSON.stringify(envelope),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: '0',
          SenderId: 's',
          ApproximateFirstReceiveTimestamp: '0',
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:eventgate-dev-notebook',
        awsRegion: 'us-east-1',
      })),
    };
    // The deployment sets the shelf in the environment, as its contribution says.
    const worker = createSinkWorker(notebookSink, {
      env: { CONF_DIR: dir, NOTEBOOK_SHELF: 'deployed' },
      catalog,
    });
    expect(await worker(event)).toEqual({ batchItemFailures: [] });
    expect(written).toEqual([{ options: { shelf: 'deployed', pages: 100 }, events: batch }]);
  });

  test('the deploy generator gives it a queue, a worker, a role with its grant, alarms and widgets', () => {
    expect(deployParameterNames(catalog)).toContain('notebookShelf');
    const params = parseDeployParameters(
      { sinks: 'postgres,notebook', notebookShelf: 'prod', postgresSecretName: 'eventgate/db' },
      'dev',
      catalog,
    );
    const deployment = buildDeployment(params, catalog);
    const worker = deployment.functions.notebookWorker;
    expect(worker).toMatchObject({
      handler: 'functions/workers/notebook.handler',
      name: 'eventgate-dev-notebook-worker',
      role: 'NotebookWorkerRole',
      environment: { NOTEBOOK_SHELF: 'prod', QUEUE_URL_NOTEBOOK: { Ref: 'NotebookQueue' } },
    });
    expect(deployment.functions.ingest?.environment).toMatchObject({ NOTEBOOK_SHELF: 'prod' });
    const resources = deployment.resources.Resources;
    expect(Object.keys(resources)).toEqual(
      expect.arrayContaining([
        'NotebookQueue',
        'NotebookDeadLetterQueue',
        'NotebookOldestMessageAgeAlarm',
        'NotebookDeadLetterQueueAlarm',
        'NotebookFullAlarm',
      ]),
    );
    const role = JSON.stringify(resources.NotebookWorkerRole);
    expect(role).toContain('notebook:Write');
    expect(JSON.stringify(resources.PostgresWorkerRole)).not.toContain('notebook:Write');
    expect(JSON.stringify(resources.Dashboard)).toContain('notebook: pages written');
    expect(deployment.environment.EVENTGATE_SINKS).toBe('postgres,notebook');
  });

  test('the deploy generator refuses it without a parameter it requires, and puts it in the VPC when it needs one', () => {
    const params = parseDeployParameters({ sinks: 'notebook' }, 'dev', catalog);
    contributionExtras = {
      requiredParameters: [{ parameter: 'notebookShelf', reason: 'a notebook needs a shelf' }],
    };
    expect(() => buildDeployment(params, catalog)).toThrow(
      'set --param="notebookShelf=…" (notebook: a notebook needs a shelf)',
    );
    // A sink that needs the VPC runs its worker in the deployment's subnets, when there are some.
    contributionExtras = { vpcAccess: true };
    const inVpc = parseDeployParameters(
      { sinks: 'notebook', vpcSubnetIds: 'subnet-0a1', vpcSecurityGroupIds: 'sg-0b2' },
      'dev',
      catalog,
    );
    expect(buildDeployment(inVpc, catalog).functions.notebookWorker?.vpc).toEqual({
      subnetIds: ['subnet-0a1'],
      securityGroupIds: ['sg-0b2'],
    });
  });
});

describe('the sink the read API reads from', () => {
  /** The notebook, reading back what it keeps (nothing here). */
  const readableNotebookSink = {
    ...notebookSink,
    readStore: { open: async () => new MemoryEventStore([]) },
  };
  /** The shipped sinks, with the read API moved from postgres to the notebook. */
  const readingNotebooks = new SinkCatalog([
    ...SINK_DEFINITIONS.map(({ readStore: _readStore, ...definition }) => definition),
    readableNotebookSink,
  ]);

  afterEach(() => {
    contributionExtras = {};
  });

  test('is postgres in the shipped list', () => {
    expect(new SinkCatalog(SINK_DEFINITIONS).readSource?.name).toBe('postgres');
  });

  test('brings the read function, connected and granted as its worker is', () => {
    const params = parseDeployParameters(
      { sinks: 'notebook', notebookShelf: 'prod' },
      'dev',
      readingNotebooks,
    );
    const deployment = buildDeployment(params, readingNotebooks);
    expect(deployment.functions.read).toMatchObject({
      handler: 'functions/read.handler',
      environment: { NOTEBOOK_SHELF: 'prod' },
    });
    expect(JSON.stringify(deployment.resources.Resources.ReadRole)).toContain('"Sid":"ReadWriteNotebook"');
  });

  test('is the only sink that does: without it enabled there is no read function', () => {
    const params = parseDeployParameters(
      { sinks: 'postgres', postgresSecretName: 'eventgate/db' },
      'dev',
      readingNotebooks,
    );
    const deployment = buildDeployment(params, readingNotebooks);
    expect(deployment.functions.read).toBeUndefined();
    expect(deployment.resources.Resources.ReadRole).toBeUndefined();
  });

  test('is one sink at most', () => {
    expect(() => new SinkCatalog([...SINK_DEFINITIONS, readableNotebookSink])).toThrow(
      'only one sink can serve reads, not postgres and notebook',
    );
  });
});

describe('the shipped list of sinks', () => {
  test.each(SINK_DEFINITIONS.map((definition) => definition.name))(
    '%s has the Lambda entry point the deploy generator names',
    (name) => {
      expect(existsSync(path.join(REPO_ROOT, 'functions', 'workers', `${name}.ts`))).toBe(true);
    },
  );
});

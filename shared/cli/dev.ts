import { parseArgs } from 'node:util';
import { DEFAULT_LOCAL_PORT, startLocalRuntime } from '../local/runtime';
import type { Command } from './main';

const HELP = `Usage: eventgate dev [--port N] [--conf DIR] [--state-dir DIR]

Runs EventGate on this machine with no AWS account: the gateway on http://127.0.0.1:PORT, an
embedded SQS server with every sink's queue and DLQ, a worker per sink, and Postgres (embedded
unless DATABASE_URL is set). Kafka, EventBridge and S3 sinks run when config.json configures them.

  --port N          HTTP port (default: PORT or 3000)
  --conf DIR        configuration directory (default: CONF_DIR or ./conf)
  --state-dir DIR   where the dev signing key and the embedded database live (default ./.eventgate)
  --subject NAME    subject of the printed development token (default TestUser)
`;

function sampleCurl(url: string, topic: string): string {
  const event = {
    event_id: 'hello-1',
    tenant_id: 'demo',
    source_app: 'curl',
    environment: 'dev',
    timestamp: 1767225600000,
  };
  return [
    `curl -i -X POST ${url}/topics/${topic} \\`,
    `  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\`,
    `  -d '${JSON.stringify(event)}'`,
  ].join('\n');
}

export const command: Command = {
  summary: 'run the whole gateway locally',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        port: { type: 'string' },
        conf: { type: 'string' },
        'state-dir': { type: 'string' },
        subject: { type: 'string', default: 'TestUser' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    // The flag wins over PORT; either must name a port, or the runtime would fail half-started.
    const [portSource, portText] =
      values.port !== undefined
        ? ['--port', values.port]
        : ['PORT', process.env.PORT ?? String(DEFAULT_LOCAL_PORT)];
    const port = Number(portText);
    if (portText.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
      console.error(`${portSource} must be a port number (0 to 65535), got "${portText}"`);
      return 2;
    }
    // CloudWatch metrics (EMF lines) mean nothing on a laptop and would drown the logs.
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    console.error('Starting EventGate locally…');
    const runtime = await startLocalRuntime({ port, confDir: values.conf, stateDir: values['state-dir'] });
    const token = await runtime.token(values.subject as string);
    const sampleTopic = runtime.topics.find((topic) => topic.name === 'public.cps.za.test');
    console.log(
      [
        '',
        `EventGate is listening on ${runtime.url}`,
        `  API docs      ${runtime.url}/docs`,
        `  Health        ${runtime.url}/health`,
        `  SQS (local)   ${runtime.sqsEndpoint}`,
        `  Postgres      ${runtime.databaseUrl ?? 'not configured'}`,
        `  State folder  ${runtime.stateDir} (queues, DLQs, embedded database, dev key)`,
        '',
        'Topics:',
        ...runtime.topics.map(
          (topic) => `  ${topic.name.padEnd(32)} ${topic.mode.padEnd(6)} → ${topic.sinks.join(', ')}`,
        ),
        '',
        `Development token for subject "${values.subject}" (valid 12 h; more with \`npx eventgate token --subject NAME\`):`,
        '',
        `export TOKEN=${token}`,
        '',
        ...(sampleTopic ? ['Try it:', '', sampleCurl(runtime.url, sampleTopic.name), ''] : []),
        'Press Ctrl-C to stop.',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    console.error(
      '\nStopping: no new requests; letting the workers finish what they hold (Ctrl-C again to quit now)…',
    );
    // A second Ctrl-C quits at once. Nothing accepted is lost either way: the queues are on disk.
    process.once('SIGINT', () => process.exit(130));
    await runtime.stop();
    console.error('Stopped. Queued events wait in the state folder for the next start.');
    return 0;
  },
};

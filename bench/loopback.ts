import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { once } from 'node:events';

/**
 * An SQS-shaped HTTP server in a child process on 127.0.0.1, answering SendMessageBatch as SQS does
 * (every entry succeeded, with its body's MD5), as fake-sqs.ts's transport answers in process. Being
 * another process, its CPU is not counted in the bench process's, so a figure measured against it is
 * the client's cost of one real loopback call; the cold-start section's bundles send to it too.
 */
const SERVER_SOURCE = `
const http = require('node:http');
const { createHash } = require('node:crypto');
const server = http.createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    let entries = [];
    try { entries = JSON.parse(Buffer.concat(chunks).toString('utf8')).Entries || []; } catch {}
    const body = JSON.stringify({
      Successful: entries.map((entry) => ({
        Id: entry.Id,
        MessageId: entry.Id,
        MD5OfMessageBody: createHash('md5').update(entry.MessageBody || '').digest('hex'),
      })),
      Failed: [],
    });
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'bench' });
    response.end(body);
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

export interface LoopbackSqs {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startLoopbackSqs(): Promise<LoopbackSqs> {
  const child: ChildProcess = spawn(process.execPath, ['-e', SERVER_SOURCE], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  const port = Number(chunk.toString('utf8').trim());
  if (!Number.isInteger(port)) throw new Error(`the loopback SQS server printed ${chunk.toString('utf8')}`);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

/**
 * The floor under any SQS client: one keep-alive HTTP POST of a prepared body with `node:http`,
 * its answer read in full. No signing, no JSON, no retries.
 */
export function rawPost(endpoint: string, body: string): () => Promise<void> {
  const url = new URL(endpoint);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const headers = {
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': 'AmazonSQS.SendMessageBatch',
    'content-length': String(Buffer.byteLength(body)),
  };
  return () =>
    new Promise<void>((resolve, reject) => {
      const request = http.request(
        { host: url.hostname, port: url.port, path: '/', method: 'POST', agent, headers },
        (response) => {
          response.on('data', () => undefined);
          response.on('end', () => resolve());
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
}

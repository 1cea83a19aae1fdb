import net from 'node:net';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { fauxqsSqsClient, startFauxqs } from '../../peers/fauxqs';

function refusesConnections(endpoint: string): Promise<boolean> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('the fauxqs peer', () => {
  it('serves SQS on 127.0.0.1 and stops listening when stopped', async () => {
    const fauxqs = await startFauxqs();
    const sqs = fauxqsSqsClient(fauxqs.endpoint);
    try {
      expect(new URL(fauxqs.endpoint).hostname).toBe('127.0.0.1');
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'peer-check' }));
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));

      expect(received.Messages?.map((message) => message.Body)).toEqual(['hello']);
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl, ReceiptHandle: received.Messages?.[0]?.ReceiptHandle }),
      );
    } finally {
      sqs.destroy();
      await fauxqs.stop();
    }
    expect(await refusesConnections(fauxqs.endpoint)).toBe(true);
  });
});

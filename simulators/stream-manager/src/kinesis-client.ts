import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * The Kinesis client the local Stream Manager exports with. With an endpoint (kinesalite): HTTP/1.1, dummy
 * credentials unless AWS ones are in the environment, region from AWS_REGION else us-east-1. One attempt per
 * call: the exporter does its own retrying.
 */
export function kinesisClientFor(endpoint: string, env: NodeJS.ProcessEnv = process.env): KinesisClient {
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          sessionToken: env.AWS_SESSION_TOKEN,
        }
      : { accessKeyId: 'local', secretAccessKey: 'local' };
  return new KinesisClient({
    endpoint,
    region: env.AWS_REGION ?? 'us-east-1',
    credentials,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 3000, requestTimeout: 30_000 }),
    maxAttempts: 1,
  });
}

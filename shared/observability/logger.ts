import { Logger } from '@aws-lambda-powertools/logger';

/** One structured JSON logger per process; request handlers add the correlation id as a key. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'eventgate' });

import { Kafka, logLevel } from 'kafkajs'
import type { LogEntry } from 'kafkajs'
import type { Logger } from '../../common/logger.ts'
import type { KafkaConfig } from '../config.ts'

/** kafkajs logs through our logger (never console); its INFO chatter is demoted to debug. */
function logCreatorFor (logger: Logger) {
  return () => ({ namespace, level, log }: LogEntry) => {
    const { message, timestamp: _ts, ...extra } = log
    const fields = { kafka: namespace, ...extra }
    if (level === logLevel.ERROR) logger.error(fields, message)
    else if (level === logLevel.WARN) logger.warn(fields, message)
    else logger.debug(fields, message)
  }
}

/** One kafkajs client for the configured (or embedded) brokers. */
export function createKafka (config: KafkaConfig, brokers: string[], logger: Logger): Kafka {
  return new Kafka({
    clientId: config.client_id,
    brokers,
    connectionTimeout: config.dial_timeout,
    requestTimeout: 30_000,
    logLevel: logLevel.WARN,
    logCreator: logCreatorFor(logger.child({ lib: 'kafkajs' })),
    retry: { initialRetryTime: 100, retries: 10 },
  })
}

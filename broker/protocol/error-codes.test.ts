import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { KafkaError, errorInfo, errorName, isRetriable } from './error-codes.ts'

const require = createRequire(import.meta.url)
const kafkajs = require('kafkajs/src/protocol/error.js') as {
  errorCodes: { type: string, code: number, retriable: boolean }[]
}

test('every kafkajs error code is in the table with the same retriable flag', () => {
  for (const e of kafkajs.errorCodes) {
    const info = errorInfo(e.code)
    assert.ok(info, `code ${e.code} ${e.type}`)
    assert.equal(info.retriable, e.retriable, `code ${e.code} ${e.type}`)
    assert.equal(isRetriable(e.code), e.retriable)
  }
})

test('names and codes used by the broker', () => {
  assert.equal(KafkaError.NONE, 0)
  assert.equal(KafkaError.NOT_COORDINATOR, 16)
  assert.equal(KafkaError.UNSUPPORTED_VERSION, 35)
  assert.equal(KafkaError.MEMBER_ID_REQUIRED, 79)
  assert.equal(errorName(3), 'UNKNOWN_TOPIC_OR_PARTITION')
  assert.equal(errorName(9999), 'UNKNOWN_ERROR_CODE_9999')
  assert.equal(isRetriable(KafkaError.NONE), false)
  assert.equal(isRetriable(KafkaError.COORDINATOR_LOAD_IN_PROGRESS), true)
  assert.equal(isRetriable(KafkaError.REBALANCE_IN_PROGRESS), false)
})

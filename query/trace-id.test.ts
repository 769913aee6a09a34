import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { InvalidArgumentError, httpStatusOf } from '../common/errors.ts'
import { parseTraceId } from './trace-id.ts'

const hex = (b: Buffer): string => b.toString('hex')

describe('parseTraceId (Tempo pkg/util/traceid_test.go cases)', () => {
  const ok: [string, string][] = [
    ['12', '00000000000000000000000000000012'],
    ['1234567890abcdef', '00000000000000001234567890abcdef'],
    ['1234567890abcdef1234567890abcdef', '1234567890abcdef1234567890abcdef'],
    ['234567890abcdef', '00000000000000000234567890abcdef'],
    ['1234567890ABCDEF1234567890abcdef', '1234567890abcdef1234567890abcdef'],
    ['082f6471b46d25e23418a0a99d4c2cda', '082f6471b46d25e23418a0a99d4c2cda'],
    ['82f6471b46d25e23418a0a99d4c2cda', '082f6471b46d25e23418a0a99d4c2cda'],
    ['0', '00000000000000000000000000000000'],
  ]
  for (const [input, want] of ok) {
    it(`parses ${JSON.stringify(input)}`, () => assert.equal(hex(parseTraceId(input)), want))
  }

  const bad: [string | undefined, string][] = [
    ['121234567890abcdef1234567890abcdef', "trace IDs can't be larger than 128 bits"],
    ['1234567890abcdef ', "trace IDs can only contain hex characters: invalid character ' ' at position 17"],
    ['xyz', "trace IDs can only contain hex characters: invalid character 'x' at position 1"],
    ['ab-cd', "trace IDs can only contain hex characters: invalid character '-' at position 3"],
    ['aé', "trace IDs can only contain hex characters: invalid character 'é' at position 2"],
    ['é0g', "trace IDs can only contain hex characters: invalid character 'é' at position 1"],
    ['', 'please provide a traceID'],
    [undefined, 'please provide a traceID'],
  ]
  for (const [input, message] of bad) {
    it(`refuses ${JSON.stringify(input)} with 400 "${message}"`, () => {
      assert.throws(() => parseTraceId(input), (err: unknown) => {
        assert.ok(err instanceof InvalidArgumentError)
        assert.equal(err.message, message)
        assert.equal(httpStatusOf(err), 400)
        return true
      })
    })
  }
})

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKey } from '@libp2p/pnet'
import { ClusterKeyError, formatClusterKey, generateClusterKey, parseClusterKey, pnetKeyFile } from './psk.ts'

const hex = '0123456789abcdef'.repeat(4)

describe('cluster key (psk)', () => {
  it('formats and parses the /key/swarm/psk/1.0.0/ /base16/ file', () => {
    const key = parseClusterKey(`/key/swarm/psk/1.0.0/\n/base16/\n${hex}\n`)
    assert.equal(Buffer.from(key).toString('hex'), hex)
    assert.equal(formatClusterKey(key), `/key/swarm/psk/1.0.0/\n/base16/\n${hex}\n`)
    assert.deepEqual(parseClusterKey(new TextEncoder().encode(formatClusterKey(key))), key)
  })

  it('accepts CRLF, upper-case hex, surrounding spaces and trailing blank lines', () => {
    const key = parseClusterKey(`/key/swarm/psk/1.0.0/\r\n/base16/\r\n  ${hex.toUpperCase()}  \r\n\r\n`)
    assert.equal(Buffer.from(key).toString('hex'), hex)
  })

  it('reads the files @libp2p/pnet generates, and writes ones it accepts', () => {
    const file = new Uint8Array(95)
    generateKey(file)
    const key = parseClusterKey(file)
    assert.equal(key.byteLength, 32)
    assert.deepEqual(pnetKeyFile(key), new TextEncoder().encode(formatClusterKey(key)))
  })

  it('refuses malformed files with a clear message that never echoes the key', () => {
    const cases: [string, RegExp][] = [
      ['', /expected 3 lines/],
      [`/key/swarm/psk/2.0.0/\n/base16/\n${hex}`, /first line/],
      [`/key/swarm/psk/1.0.0/\n/base64/\n${hex}`, /second line/],
      [`/key/swarm/psk/1.0.0/\n/base16/\n${hex.slice(2)}`, /64 hex digits \(got 62/],
      [`/key/swarm/psk/1.0.0/\n/base16/\n${hex.slice(1)}z`, /64 hex digits/],
      [`/key/swarm/psk/1.0.0/\n/base16/\n${hex}\nextra`, /expected 3 lines/],
    ]
    for (const [text, message] of cases) {
      assert.throws(() => parseClusterKey(text), (err: unknown) => {
        assert.ok(err instanceof ClusterKeyError)
        assert.match(err.message, message)
        assert.ok(!err.message.includes(hex.slice(0, 16)), 'key material must not appear in errors')
        return true
      })
    }
    assert.throws(() => formatClusterKey(new Uint8Array(31)), ClusterKeyError)
  })

  it('generates distinct 32-byte keys', () => {
    const a = generateClusterKey()
    const b = generateClusterKey()
    assert.equal(a.byteLength, 32)
    assert.notDeepEqual(a, b)
  })
})

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { NodeReadiness, servingReadiness } from './readiness.ts'

describe('serving readiness', () => {
  it('is the node\'s own, except that a ready node whose data is behind serves as catching-up with the reason', () => {
    const node = new NodeReadiness()
    const lag: { behind?: string } = {}
    const serving = servingReadiness(node, () => lag.behind)
    node.set('ready')
    assert.deepEqual([serving.state(), serving.reason()], ['ready', ''])
    lag.behind = 'live-store may be behind: partition 2 not fetched from Kafka for 9.0s'
    assert.deepEqual([serving.state(), serving.reason()], ['catching-up', lag.behind])
    assert.deepEqual([node.state(), node.reason()], ['ready', ''], '/ready is not affected')
    node.set('stopping', 'Application is stopping')
    assert.deepEqual([serving.state(), serving.reason()], ['stopping', 'Application is stopping'], 'starting and stopping win')
    node.set('catching-up', 'live-store is catching up: 12 records behind')
    assert.deepEqual([serving.state(), serving.reason()], ['catching-up', 'live-store is catching up: 12 records behind'])
  })
})

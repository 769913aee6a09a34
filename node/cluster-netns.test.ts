import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cutZone, healZone, inZone, netnsUnavailable, planNetns, setupCommands, setupNetns, teardownCommands, teardownNetns } from './cluster-netns.ts'

describe('network namespaces for livestore cluster --netns', () => {
  const plan = planNetns(['a', 'b'], 123_456)

  it('names each zone\'s namespace and veths after the id, within the 15-byte interface limit, one address per zone', () => {
    assert.equal(plan.bridge, 'lsbr23456')
    assert.equal(plan.hostAddress, '10.213.206.1')
    assert.deepEqual([...plan.zones.entries()], [
      ['a', { ns: 'livestore-23456-a', hostVeth: 'ls23456a', nsVeth: 'ls23456an', address: '10.213.206.10' }],
      ['b', { ns: 'livestore-23456-b', hostVeth: 'ls23456b', nsVeth: 'ls23456bn', address: '10.213.206.11' }],
    ])
    for (const z of plan.zones.values()) for (const name of [z.hostVeth, z.nsVeth, plan.bridge]) assert.ok(name.length <= 15, name)
  })

  it('builds a bridge and a veth pair per zone, and tears down namespaces then the bridge', () => {
    const setup = setupCommands(plan).map((c) => c.join(' '))
    assert.deepEqual(setup.slice(0, 3), ['ip link add lsbr23456 type bridge', 'ip addr add 10.213.206.1/24 dev lsbr23456', 'ip link set lsbr23456 up'])
    assert.ok(setup.includes('ip link set ls23456b master lsbr23456'))
    assert.ok(setup.includes('ip netns exec livestore-23456-b ip addr add 10.213.206.11/24 dev ls23456bn'))
    assert.deepEqual(teardownCommands(plan).map((c) => c.join(' ')), ['ip netns del livestore-23456-a', 'ip netns del livestore-23456-b', 'ip link del lsbr23456'])
    assert.deepEqual(inZone(plan, 'b', ['node', 'x']), ['ip', 'netns', 'exec', 'livestore-23456-b', 'node', 'x'])
    assert.throws(() => inZone(plan, 'c', []), /no network namespace for zone c/)
  })

  it('cuts a zone by setting its host-side veth down, heals by setting it up', async () => {
    const ran: string[] = []
    const run = async (argv: readonly string[]): Promise<void> => { ran.push(argv.join(' ')) }
    await cutZone(plan, 'a', run)
    await healZone(plan, 'a', run)
    assert.deepEqual(ran, ['ip link set ls23456a down', 'ip link set ls23456a up'])
  })

  it('removes what it built when a step fails, and teardown goes on past parts already gone', async () => {
    const ran: string[] = []
    const run = async (argv: readonly string[]): Promise<void> => {
      ran.push(argv.join(' '))
      if (argv.includes('veth') && argv.includes('ls23456b')) throw new Error('RTNETLINK answers: Operation not permitted')
    }
    await assert.rejects(setupNetns(plan, run), /Operation not permitted/)
    assert.deepEqual(ran.slice(-3), teardownCommands(plan).map((c) => c.join(' ')))
    const failing = async (argv: readonly string[]): Promise<void> => { ran.push(argv.join(' ')); throw new Error('gone') }
    ran.length = 0
    await teardownNetns(plan, failing)
    assert.equal(ran.length, 3)
  })

  it('says why namespaces cannot be used when the probe namespace cannot be created', async () => {
    const why = await netnsUnavailable(async () => { throw new Error('RTNETLINK answers: Operation not permitted') }, 1)
    if (process.platform !== 'linux' || process.getuid?.() !== 0) assert.match(why ?? '', /need (Linux|root)/)
    else assert.match(why ?? '', /cannot create a network namespace .*Operation not permitted/)
  })
})

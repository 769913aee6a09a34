import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  canTransition, memberStateDocs, memberStates, ownerStateDocs, ownerStates, partitionStateDocs, partitionStates,
  partitionTransitions,
} from './states.ts'
import type { PartitionState } from './states.ts'

describe('partition transition table', () => {
  // Every (from, to) pair and whether it is allowed: the whole table, written out.
  const expected: [PartitionState, PartitionState, boolean][] = [
    ['pending', 'pending', false],
    ['pending', 'active', true],
    ['pending', 'inactive', true],
    ['active', 'pending', false],
    ['active', 'active', false],
    ['active', 'inactive', true],
    ['inactive', 'pending', false],
    ['inactive', 'active', true],
    ['inactive', 'inactive', false],
  ]
  for (const [from, to, allowed] of expected) {
    it(`${from} → ${to} is ${allowed ? 'allowed' : 'refused'}`, () => assert.equal(canTransition(from, to), allowed))
  }

  it('covers every state, and the table lists only live states', () => {
    assert.deepEqual(Object.keys(partitionTransitions).sort(), [...partitionStates].sort())
    for (const tos of Object.values(partitionTransitions)) for (const to of tos) assert.ok(partitionStates.includes(to))
  })

  it('has a doc line for every state, tombstones included', () => {
    for (const s of [...partitionStates, 'deleted' as const]) assert.ok(partitionStateDocs[s].length > 10)
    for (const s of ownerStates) assert.ok(ownerStateDocs[s].length > 10)
    for (const s of memberStates) assert.ok(memberStateDocs[s].length > 10)
  })
})

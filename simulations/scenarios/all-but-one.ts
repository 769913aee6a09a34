/**
 * All nodes but one crash (zone-loss.ts): the survivor must still answer for the partitions it
 * owns; the others have no live owner, so nothing is required of them.
 */
import { zoneLoss } from './zone-loss.ts'

export const allButOneScenario = zoneLoss({
  name: 'all-but-one',
  title: 'Every node but one lost',
  zones: 2,
  victims: (ctx) => ctx.sim.list().filter((n) => n.id !== 'a-0').map((n) => n.id),
  what: 'Two zones; every node but a-0 crashes at once.',
})

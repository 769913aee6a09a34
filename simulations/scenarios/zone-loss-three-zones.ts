/** Zone loss with three zones: zone c crashes; zones a and b keep every partition (zone-loss.ts). */
import { zoneLoss } from './zone-loss.ts'

export const zoneLossThreeZonesScenario = zoneLoss({
  name: 'zone-loss-three-zones',
  title: 'Zone loss (1 of 3 zones)',
  zones: 3,
  victims: (ctx) => ctx.sim.inZone('c').map((n) => n.id),
  what: 'Three zones; every node of zone c crashes at once.',
})

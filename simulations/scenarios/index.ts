/** Every scenario, in the order the suite runs them. */
import type { Scenario } from '../scenario.ts'
import { allButOneScenario } from './all-but-one.ts'
import { clockSkewYearScenario } from './clock-skew-year.ts'
import { clockSkewScenario } from './clock-skew.ts'
import { joinStormScenario } from './join-storm.ts'
import { messageLossScenario } from './message-loss.ts'
import { partitionHealLongScenario } from './partition-heal-long.ts'
import { partitionHealScenario } from './partition-heal.ts'
import { restartChurnScenario } from './restart-churn.ts'
import { roguePeerScenario } from './rogue-peer.ts'
import { sameTickWritesScenario } from './same-tick-writes.ts'
import { scaleScenario } from './scale.ts'
import { staleWriterScenario } from './stale-writer.ts'
import { zoneLossThreeZonesScenario } from './zone-loss-three-zones.ts'
import { zoneLossScenario } from './zone-loss.ts'

export const scenarios: readonly Scenario[] = [
  zoneLossScenario,
  zoneLossThreeZonesScenario,
  allButOneScenario,
  partitionHealScenario,
  partitionHealLongScenario,
  joinStormScenario,
  restartChurnScenario,
  sameTickWritesScenario,
  staleWriterScenario,
  clockSkewScenario,
  clockSkewYearScenario,
  messageLossScenario,
  roguePeerScenario,
  scaleScenario,
]

export function scenarioNamed (name: string): Scenario | undefined {
  return scenarios.find((s) => s.name === name)
}

/** The zone partition of partition-heal.ts, held for the tombstone horizon plus a minute. */
import { partitionHeal } from './partition-heal.ts'

export const partitionHealLongScenario = partitionHeal('partition-heal-long', 'Zone partition, healed after the tombstone horizon', 360_000)

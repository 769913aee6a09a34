import { AssignerProtocol } from 'kafkajs'
import type { PartitionAssigner } from 'kafkajs'

/**
 * How a node consumes exactly the partitions it owns with kafkajs, which has no `assign()`:
 * **one consumer group per owned partition** (`<group>-<partition>`), with this assigner, which
 * gives that single partition to one member of the group and nothing to the others.
 *
 * Why this pattern rather than one group with a custom multi-partition assigner:
 * - Ownership changes of one partition never rebalance the others (no cross-node rebalances).
 * - Offsets live per (group, partition), like Tempo's offset-store-only use of the group.
 * - A second node of the same zone claiming the partition simply joins the same group and gets
 *   an empty assignment: it is a standby that takes over when the owner leaves or its session
 *   expires, and the eager rebalance protocol guarantees the two never consume at the same time.
 *
 * The partition goes to the member listed first by the coordinator (the longest-standing one on
 * the embedded broker and on Apache Kafka), so a joining standby does not steal it.
 */
export function pinnedPartitionAssigner (topic: string, partition: number): PartitionAssigner {
  return () => ({
    name: 'livestore-pinned',
    version: 1,
    async assign ({ members }) {
      return members.map((m, i) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: i === 0 ? { [topic]: [partition] } : {},
          userData: Buffer.alloc(0),
        }),
      }))
    },
    protocol ({ topics }) {
      return { name: 'livestore-pinned', metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) }
    },
  })
}

/** The consumer group that stores the offsets of one partition for one zone's owners. */
export function partitionGroupId (group: string, partition: number): string {
  return `${group}-${partition}`
}

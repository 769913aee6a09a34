/**
 * The canonical messages pinned by the golden fixtures (fixtures/v1_<name>.hex). A sample's
 * name is its fixture's name. Samples may be added; an existing one is never changed, because
 * its fixture pins the bytes a released node sends.
 */
import type { RingMessage } from './v1.ts'
import { member, owner, partition, reg, ring, t } from '../testing.ts'

const T = 1_700_000_000_000

export const v1Samples: Readonly<Record<string, RingMessage>> = {
  empty_full: { kind: 'full', state: ring() },
  full: {
    kind: 'full',
    state: ring({
      partitions: [
        partition(0, 'active', t(T + 10_000, 3), 'live-store-zone-a-0', reg(false, t(T), 'live-store-zone-a-0')),
        partition(1, 'pending', t(T + 1), 'live-store-zone-b-1'),
        partition(2, 'inactive', t(T + 20_000), 'operator', reg(true, t(T + 20_001), 'operator')),
        partition(7, 'deleted', t(T + 30_000, 65_535), 'live-store-zone-a-0'),
      ],
      owners: [
        owner('live-store-zone-a-0', 0, 'active', 'zone-a', t(T + 2)),
        owner('live-store-zone-b-0', 0, 'active', 'zone-b', t(T + 3)),
        owner('live-store-zone-b-1', 1, 'active', 'zone-b', t(T + 4)),
        owner('live-store-zone-b-1', 2, 'deleted', '', t(T + 5), 'operator'),
      ],
      members: [
        member('live-store-zone-a-0', 'active', 'zone-a', t(T), t(T + 40_000, 1), ['/ip4/10.0.0.1/tcp/7946', '/ip6/::1/tcp/7946']),
        member('live-store-zone-b-9', 'left', 'zone-b', t(T + 50_000), t(T + 49_000)),
        member('nœud-ü', 'active', 'zoné', t(T + 6), t(T + 6), ['/dns4/nœud.example/tcp/7946']),
      ],
    }),
  },
  delta_heartbeat: {
    kind: 'delta',
    state: ring({ members: [member('live-store-zone-a-0', 'active', 'zone-a', t(T), t(T + 41_000), ['/ip4/10.0.0.1/tcp/7946'])] }),
  },
  delta_owner_tombstone: {
    kind: 'delta',
    state: ring({ owners: [owner('live-store-zone-a-0', 0, 'deleted', 'zone-a', t(T + 60_000))] }),
  },
  delta_partition: {
    kind: 'delta',
    state: ring({ partitions: [partition(2_147_483_647, 'active', t(2 ** 48 - 1, 0), 'w')] }),
  },
}

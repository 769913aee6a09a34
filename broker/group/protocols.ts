import type { Member } from './member.ts'
import type { GroupProtocol } from './types.ts'

/**
 * Whether a member with these protocols may (re)join (Kafka's supportsProtocols): into an Empty
 * group anything non-empty goes; otherwise the protocol type must match and at least one protocol
 * must be supported by every other member, so the group always keeps a common protocol.
 */
export function supportsProtocols (
  members: Iterable<Member>,
  groupProtocolType: string | null,
  joiningMemberId: string | null,
  protocolType: string,
  protocols: GroupProtocol[],
): boolean {
  if (protocolType === '' || protocols.length === 0) return false
  const others = [...members].filter((m) => m.memberId !== joiningMemberId)
  if (others.length === 0) return true
  if (groupProtocolType !== protocolType) return false
  return protocols.some((p) => others.every((m) => m.supports(p.name)))
}

/**
 * Kafka's protocol vote: the candidates are the protocols every member supports; each member votes
 * for its most preferred candidate and the most votes win (ties go to the earliest member's vote,
 * so the choice is deterministic).
 */
export function selectProtocol (members: Member[]): string | null {
  const first = members[0]
  if (first === undefined) return null
  const candidates = new Set(first.protocols.map((p) => p.name).filter((name) => members.every((m) => m.supports(name))))
  const votes = new Map<string, number>()
  for (const m of members) {
    const vote = m.vote(candidates)
    if (vote !== undefined) votes.set(vote, (votes.get(vote) ?? 0) + 1)
  }
  let best: string | null = null
  let bestVotes = 0
  for (const [name, n] of votes) {
    if (n > bestVotes) { best = name; bestVotes = n }
  }
  // Unreachable while supportsProtocols guards every join; fall back to the first member's choice.
  return best ?? first.protocols[0]?.name ?? null
}

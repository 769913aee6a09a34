/**
 * Options and defaults both transports share, so the memory transport used by tests and the
 * simulator enforces exactly the limits the libp2p one does.
 */

/**
 * Largest message (publish, request or response) a transport sends or accepts, in bytes. The
 * default matches the ring codec's default `maxBytes` (ring/codec), so any message the codec
 * produces fits; a node configures both from one setting.
 */
export const defaultMaxMessageBytes = 16 * 1024 * 1024

/** How long `request` waits for an answer when the caller gives no `timeoutMs`. */
export const defaultRequestTimeoutMs = 30_000

/**
 * What a gossip validator says about a received message, after gossipsub's own verdicts:
 * `accept` delivers and forwards it; `ignore` drops it quietly; `reject` drops it and (libp2p)
 * penalises the peer that forwarded it (gossipsub score P4), for forged or malformed messages.
 */
export type MessageVerdict = 'accept' | 'ignore' | 'reject'

/**
 * Runs on every received gossip message before it is delivered or forwarded (synchronously, so
 * keep it cheap: decode and check authorisation). The ring's validators (ring-crdt.md §5.3: owner
 * entries only by their owner, timestamps within the clock skew, known versions) plug in here.
 */
export type MessageValidator = (from: string, message: Uint8Array) => MessageVerdict

/** Error text carried back to a requester is cut to this many characters. */
export const maxRemoteErrorChars = 1024

export function errorText (err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  return text.length > maxRemoteErrorChars ? text.slice(0, maxRemoteErrorChars - 1) + '…' : text
}

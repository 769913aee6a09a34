/**
 * Kafka's topic-name rules (org.apache.kafka.common.internals.Topic): 1..249 characters of
 * [a-zA-Z0-9._-], not "." or "..". Names that differ only by '.' versus '_' collide in metric
 * names, so Kafka refuses to create the second one; so do we.
 */
export const MAX_TOPIC_NAME_LENGTH = 249

const LEGAL = /^[a-zA-Z0-9._-]+$/

/** Why `name` is not a legal topic name, or null. */
export function topicNameProblem (name: string): string | null {
  if (name.length === 0) return 'topic name is empty'
  if (name === '.' || name === '..') return `topic name cannot be "${name}"`
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `topic name is ${name.length} characters, the limit is ${MAX_TOPIC_NAME_LENGTH}`
  if (!LEGAL.test(name)) return `topic name "${name}" contains characters other than ASCII letters, digits, '.', '_' and '-'`
  return null
}

/** The form under which two names collide ('.' and '_' are interchangeable). */
export function collisionKey (name: string): string {
  return name.replaceAll('.', '_')
}

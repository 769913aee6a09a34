/**
 * The Kafka error codes the coordinator answers with. The names are the ones the shared table in
 * broker/protocol/error-codes.ts uses, so this local copy can be swapped for it without renames.
 */
export const ErrorCode = {
  NONE: 0,
  COORDINATOR_NOT_AVAILABLE: 15,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  MEMBER_ID_REQUIRED: 79,
} as const

export type ErrorCodeName = keyof typeof ErrorCode

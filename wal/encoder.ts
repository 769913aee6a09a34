import { runCompleteJob, runSegmentJob } from './encoder-jobs.ts'
import type { CompleteJob, SegmentJob, SegmentResult } from './encoder-jobs.ts'
import type { BlockMeta } from './meta.ts'

export type { CompleteJob, SegmentJob, SegmentResult } from './encoder-jobs.ts'
export { workerBlockEncoder } from './encoder-pool.ts'
export type { WorkerEncoderOptions } from './encoder-pool.ts'

/**
 * Where the CPU-heavy Parquet work of the block lifecycle runs. Both implementations run the same
 * functions (encoder-jobs.ts): inline on the calling thread (unit tests, the simulator), or on a
 * pool of worker threads (workerBlockEncoder) so encoding never blocks the event loop that
 * consumes Kafka and answers queries.
 */
export interface BlockEncoder {
  /** Decodes the fragments, writes one segment (a block dir readable by openBlock) atomically and fsynced. */
  writeSegment (job: SegmentJob): Promise<SegmentResult>
  /** Reads every span of the given segment dirs, drops duplicate spans (same trace id + span id + kind), writes one complete block dir atomically. */
  completeBlock (job: CompleteJob): Promise<BlockMeta>
  close (): Promise<void>
}

/** Runs the jobs on the calling thread. */
export function inlineBlockEncoder (): BlockEncoder {
  return {
    writeSegment: runSegmentJob,
    completeBlock: runCompleteJob,
    close: async () => {},
  }
}

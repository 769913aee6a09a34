/**
 * Client tools (not part of the node's runtime path): a load generator sending realistic OTLP
 * traces over OTLP/HTTP, and a terminal waterfall viewer for traces fetched from the query API.
 */
export { runLoadGen } from './loadgen/loadgen.ts'
export type { AcceptedSpan, LoadGenClock, LoadGenOptions, LoadGenProgress, LoadGenSummary } from './loadgen/loadgen.ts'
export { createProgress, formatSummary, progressLine } from './loadgen/progress.ts'
export { formatAckLines, openAckLog, parseAckLog } from './loadgen/ack-log.ts'
export type { AckedSpan, AckLogWriter } from './loadgen/ack-log.ts'
export type { ProgressOptions, ProgressReporter, ProgressStream } from './loadgen/progress.ts'
export { createTraceGenerator, generateTraces, groupSpans } from './loadgen/trace-generator.ts'
export type { GeneratedSpan, GeneratedTrace, TraceGenerator, TraceGeneratorOptions } from './loadgen/trace-generator.ts'
export { performanceClock } from './loadgen/clock.ts'
export { renderWaterfall, formatDuration } from './trace-view/waterfall.ts'
export type { WaterfallOptions } from './trace-view/waterfall.ts'
export { fetchTrace } from './trace-view/fetch.ts'
export type { FetchTraceOptions } from './trace-view/fetch.ts'
export { readTempoTrace } from './trace-view/tempo-json.ts'

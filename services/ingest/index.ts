export { RESEND_SLOT_BYTES, ResendFilter, type ResendFilterOptions } from './dedup.ts';
export {
  DEFAULT_RESEND_WINDOW_MS,
  Ingest,
  type IngestOptions,
  type IngestResult,
  type MessageOrigin,
  type RejectReason,
} from './ingest.ts';
export { ReadingSpool, type SpoolOptions } from './spool.ts';

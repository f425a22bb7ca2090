export {
  Ingest,
  type IngestOptions,
  type IngestResult,
  type MessageOrigin,
  type RejectReason,
} from './ingest.ts';
export { ReadingSpool, type SpoolOptions } from './spool.ts';

export {
  Ingest,
  type IngestOptions,
  type IngestResult,
  type MessageOrigin,
  type RejectReason,
} from './ingest.ts';

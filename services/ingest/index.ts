export { Ingest, type IngestOptions, type IngestResult, type RejectReason } from './ingest.ts';

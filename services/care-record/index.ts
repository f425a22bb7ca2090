export {
  CARE_RECORD_PURPOSE,
  CareRecords,
  type CareRecordsOptions,
  type DocumentOptions,
  InvalidDocument,
  noCareRecordConsent,
} from './care-records.ts';
export { SYSTEMS } from './codes.ts';
export { type AlertDocumentInput, buildAlertDocument, NotDocumentable } from './document.ts';
export type { Bundle, FhirResource } from './fhir.ts';
export {
  CARE_RECORD_CHANNEL,
  type CareRecordJob,
  type CareRecordNotice,
  CareRecordPayload,
  type CareRecordResult,
  careRecordNotice,
  careRecordSender,
  type FhirEndpoint,
} from './push.ts';
export { type FhirValidator, fhirValidator, type ValidationIssue } from './validate.ts';

export { SYSTEMS } from './codes.ts';
export { type AlertDocumentInput, buildAlertDocument, NotDocumentable } from './document.ts';
export type { Bundle, FhirResource } from './fhir.ts';
export { type FhirValidator, fhirValidator, type ValidationIssue } from './validate.ts';

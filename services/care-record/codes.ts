import type { Outcome, RuleKind, SensorKind, Severity } from '../domain/index.ts';

/**
 * The code systems and identifier systems a care-record document uses. Where a national or HL7
 * code exists and fits, it is used (UCUM units, HL7 terminology for FHIR's own required codes);
 * everything that is ours (alert kinds, sensor kinds, handling steps, outcomes) is in a code
 * system Tryghed owns, under `https://tryghed.dk/fhir/`. No LOINC or SNOMED CT code is invented or
 * borrowed for something it does not mean: room temperature, a door contact or an alarm button
 * press have no NPU, MedCom, LOINC or SNOMED code that says what our sensors measure
 * (docs/care-record.md, "Codes").
 */
const BASE = 'https://tryghed.dk/fhir';

export const SYSTEMS = {
  /** what raised the alert: one code per rule kind */
  alertKind: `${BASE}/CodeSystem/alert-kind`,
  /** what a sensor reading is: one code per sensor kind */
  sensorKind: `${BASE}/CodeSystem/sensor-kind`,
  /** how the alert was closed */
  alertOutcome: `${BASE}/CodeSystem/alert-outcome`,
  /** a step in handling the alert: acknowledged, på vej, fremme, resolved */
  handlingStep: `${BASE}/CodeSystem/handling-step`,
  /** the kind of document and its sections */
  documentType: `${BASE}/CodeSystem/document-type`,
  documentSection: `${BASE}/CodeSystem/document-section`,
  /** consent: the kind of monitoring and what it is for */
  consentCategory: `${BASE}/CodeSystem/consent-category`,
  consentPurpose: `${BASE}/CodeSystem/consent-purpose`,
  /** an audited action (`alert.read`) */
  auditAction: `${BASE}/CodeSystem/audit-action`,
  /** identifiers: pseudonymous home (the citizen's monitoring), staff user, alert, device, document */
  homeId: `${BASE}/NamingSystem/home`,
  userId: `${BASE}/NamingSystem/user`,
  alertId: `${BASE}/NamingSystem/alert`,
  deviceId: `${BASE}/NamingSystem/device`,
  documentId: `${BASE}/NamingSystem/care-record-document`,
  /** where a consent's information text is published, by version */
  consentText: `${BASE}/consent-text`,
  /** HL7 and UCUM, for the codes FHIR itself requires */
  ucum: 'http://unitsofmeasure.org',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  consentScope: 'http://terminology.hl7.org/CodeSystem/consentscope',
  provenanceAgent: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type',
  auditSourceType: 'http://terminology.hl7.org/CodeSystem/security-source-type',
} as const;

export interface Coding {
  system: string;
  code: string;
  display?: string;
}

export const ALERT_KIND_DISPLAY: Record<RuleKind, string> = {
  alarm_button: 'Alarmknap trykket',
  fall: 'Fald registreret',
  smoke: 'Røg registreret',
  co: 'Kulilte (CO) registreret',
  water_leak: 'Vand på gulvet',
  temperature_low: 'For koldt i hjemmet',
  temperature_high: 'For varmt i hjemmet',
  inactivity: 'Ingen bevægelse i hjemmet',
  door_night: 'Hoveddør åbnet om natten',
  out_of_bed: 'Ude af sengen om natten',
  night_round_missed: 'Natlig tilsynsrunde ikke gennemført',
  device_offline: 'Apparat uden forbindelse',
  low_battery: 'Lavt batteri',
};

export const SENSOR_KIND_DISPLAY: Record<SensorKind, string> = {
  alarm_button: 'Alarmknap',
  fall: 'Faldsensor',
  smoke: 'Røgalarm',
  co: 'Kulilte (CO) i luften',
  water_leak: 'Vandsensor',
  temperature: 'Rumtemperatur',
  motion: 'Bevægelse',
  door: 'Hoveddør åben',
  bed: 'I sengen',
  heartbeat: 'Driftssignal',
  battery: 'Batteriniveau',
};

export const OUTCOME_DISPLAY: Record<Outcome, string> = {
  real_incident: 'Reel hændelse',
  false_alarm: 'Falsk alarm',
  no_action_needed: 'Der var ikke brug for hjælp',
  technical_fault: 'Teknisk fejl',
};

export const STEP_DISPLAY = {
  acknowledged: 'Modtaget',
  'en-route': 'På vej',
  arrived: 'Fremme',
  resolved: 'Afsluttet',
} as const;
export type HandlingStep = keyof typeof STEP_DISPLAY;

/**
 * A reading's value in FHIR: a quantity with its UCUM unit where the sensor measures one
 * (°C is `Cel`, ppm is `[ppm]`, % is `%`), a boolean for the 0/1 states. None of these has an
 * NPU code: NPU names quantities in a patient or a sample, not in a room.
 */
export function readingValue(
  kind: SensorKind,
  value: number,
):
  | { valueQuantity: { value: number; unit: string; system: string; code: string } }
  | { valueBoolean: boolean } {
  const quantity = (unit: string, code: string) => ({
    valueQuantity: { value, unit, system: SYSTEMS.ucum, code },
  });
  switch (kind) {
    case 'temperature':
      return quantity('°C', 'Cel');
    case 'co':
      return quantity('ppm', '[ppm]');
    case 'battery':
      return quantity('%', '%');
    case 'heartbeat':
      return quantity('1', '1');
    default:
      return { valueBoolean: value !== 0 };
  }
}

/** FHIR's DetectedIssue.severity (required binding: high | moderate | low). */
export function issueSeverity(severity: Severity): 'high' | 'moderate' | 'low' {
  switch (severity) {
    case 'critical':
    case 'high':
      return 'high';
    case 'medium':
      return 'moderate';
    case 'low':
      return 'low';
  }
}

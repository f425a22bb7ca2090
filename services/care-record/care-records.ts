import type { AlertService } from '../alerts/index.ts';
import { type AuditLog, isRead } from '../audit/index.ts';
import type { ConsentRegistry } from '../consent/index.ts';
import type { Alert } from '../domain/index.ts';
import type { People } from '../people/index.ts';
import type { Registry } from '../registry/index.ts';
import { type Clock, type Logger, type Metrics, notFound, TryghedError } from '../runtime/index.ts';
import { buildAlertDocument, NotDocumentable } from './document.ts';
import type { Bundle } from './fhir.ts';
import { fhirValidator } from './validate.ts';

/** The audit log's purpose for sending to, or downloading for, the care record. */
export const CARE_RECORD_PURPOSE = 'care_record';
/** at most this many reads go into one document when they are asked for */
const READS_LIMIT = 200;

export interface CareRecordsOptions {
  alerts: Pick<AlertService, 'get'>;
  consent: Pick<ConsentRegistry, 'allows' | 'history'>;
  registry: Pick<Registry, 'home'>;
  people: Pick<People, 'user'>;
  auditLog: Pick<AuditLog, 'append' | 'ofHome'>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
}

export interface DocumentOptions {
  /** add the home's consent changes for the alert's category as `Consent` */
  consent?: boolean;
  /** add the audited reads of the home's data since the alert opened as `AuditEvent` */
  reads?: boolean;
}

/** The citizen has not said yes to sharing this kind of alert with the care record (or said no since). */
export const noCareRecordConsent = (category: string) =>
  new TryghedError(
    'forbidden',
    'the citizen has not consented to sharing this kind of alert with the care record',
    { reason: 'no_care_record_consent', detail: { category } },
  );

/** The document could not be made valid FHIR R4: never sent, never downloaded; counted and logged. */
export class InvalidDocument extends TryghedError {
  constructor(readonly where: readonly string[]) {
    super('internal', 'the care record document did not validate', { reason: 'care_record_invalid' });
  }
}

/**
 * The care-record documents of handled alerts: one place that checks consent ("deling med
 * journal" for the alert's category), gathers the record (names of the staff on it, consent
 * changes, reads), builds the FHIR document and validates it before anyone gets it. Who asked is
 * audited by the caller: a download by the dashboard (the person), a send by the push (the system).
 */
export class CareRecords {
  private readonly made;

  constructor(private readonly o: CareRecordsOptions) {
    this.made = o.metrics.counter(
      'tryghed_care_record_documents_total',
      'Care record documents asked for, by outcome (built, no_consent, not_documentable, invalid)',
      ['outcome'],
    );
  }

  /** Whether the home has said yes to sharing this alert's kind with the care record, now. */
  mayShare(alert: Pick<Alert, 'homeId' | 'category'>): boolean {
    return this.o.consent.allows(alert.homeId, alert.category, 'care_record');
  }

  /** The alert by id, or a 404 naming no more than that. */
  async alert(alertId: string): Promise<Alert> {
    const alert = await this.o.alerts.get(alertId);
    if (!alert) throw notFound('alert');
    return alert;
  }

  /**
   * The alert's document, valid FHIR R4. Refused without consent (403 `no_care_record_consent`),
   * for an alert that is not a handled care alert (409), and when it does not validate (500, never
   * sent: a receiver must not get half a record).
   */
  async document(alert: Alert, options: DocumentOptions = {}): Promise<Bundle> {
    if (!this.mayShare(alert)) {
      this.made.inc({ outcome: 'no_consent' });
      throw noCareRecordConsent(alert.category);
    }
    const at = this.o.clock.now();
    const staffNames: Record<string, string> = {};
    const named = [alert.acknowledgedBy, alert.enRouteBy, alert.arrivedBy, alert.resolvedBy];
    for (const id of new Set(named.filter((id): id is string => id !== null))) {
      const user = await this.o.people.user(id);
      if (user) staffNames[id] = user.displayName;
    }
    const consentEvents = options.consent
      ? (await this.o.consent.history(alert.homeId))
          .filter((e) => e.category === alert.category)
          .sort((a, b) => a.at - b.at || a.id - b.id)
      : undefined;
    const reads = options.reads
      ? (await this.o.auditLog.ofHome(alert.homeId, READS_LIMIT))
          .filter((e) => isRead(e.action) && e.at >= alert.openedAt && e.at <= at)
          .reverse()
      : undefined;
    let bundle: Bundle;
    try {
      bundle = buildAlertDocument({
        alert,
        timezone: this.o.registry.home(alert.homeId)?.timezone ?? 'Europe/Copenhagen',
        staffNames,
        at,
        ...(consentEvents ? { consentEvents } : {}),
        ...(reads ? { reads } : {}),
      });
    } catch (err) {
      if (err instanceof NotDocumentable) this.made.inc({ outcome: 'not_documentable' });
      throw err;
    }
    const validate = await fhirValidator();
    const issues = validate(bundle);
    if (issues.length > 0) {
      this.made.inc({ outcome: 'invalid' });
      // where it failed, never what the record says
      this.o.logger.error(
        { alertId: alert.id, issues: issues.slice(0, 10).map((i) => i.expression) },
        'care record document did not validate; not handed out',
      );
      throw new InvalidDocument(issues.map((i) => i.expression));
    }
    this.made.inc({ outcome: 'built' });
    return bundle;
  }

  /** Records that the platform sent the alert's document to the care record (the citizen's access log). */
  async recordSent(alert: Pick<Alert, 'id' | 'homeId'>): Promise<void> {
    await this.o.auditLog.append({
      at: this.o.clock.now(),
      actorId: 'system',
      actorRole: 'system',
      action: 'care_record.send',
      homeId: alert.homeId,
      purpose: CARE_RECORD_PURPOSE,
      detail: alert.id,
    });
  }
}

import type { AlertService } from '../services/alerts/index.ts';
import { AuditLog } from '../services/audit/index.ts';
import {
  CARE_RECORD_CHANNEL,
  CareRecords,
  careRecordNotice,
  careRecordSender,
} from '../services/care-record/index.ts';
import type { ConsentRegistry } from '../services/consent/index.ts';
import type { PlatformBus } from '../services/events/index.ts';
import type { NoticeOutbox } from '../services/outbox/index.ts';
import type { People } from '../services/people/index.ts';
import type { Registry } from '../services/registry/index.ts';
import type { Clock, Logger, Metrics } from '../services/runtime/index.ts';
import type { Store } from '../services/store/index.ts';
import type { Config } from './config.ts';

export interface CareRecordPushParts {
  alerts: AlertService;
  consent: ConsentRegistry;
  registry: Registry;
  people: People;
  store: Pick<Store, 'audit'>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  events: PlatformBus;
  outbox: Pick<NoticeOutbox, 'registerChannel' | 'enqueue'>;
  started: (part: string, close: () => Promise<void> | void) => void;
}

/**
 * "Deling med journal" (issue 13 point 5), when `FHIR_BASE_URL` is set: a care alert resolved in a
 * home that said yes for its kind is enqueued in the durable outbox under the key
 * `care-record:<alert id>` (one per alert, whichever process hears it first), and the `care-record`
 * channel builds, validates and POSTs its FHIR document when the outbox sends it. Kept out of
 * the dashboard: it runs where the outbox runs.
 */
export function startCareRecordPush(
  config: Pick<Config, 'fhirBaseUrl' | 'fhirToken' | 'notifyTimeoutMs'>,
  p: CareRecordPushParts,
): void {
  const logger = p.logger.child({ part: 'care-record' });
  const records = new CareRecords({
    alerts: p.alerts,
    consent: p.consent,
    registry: p.registry,
    people: p.people,
    auditLog: new AuditLog(p.store),
    clock: p.clock,
    logger,
    metrics: p.metrics,
  });
  p.outbox.registerChannel(
    CARE_RECORD_CHANNEL,
    careRecordSender(
      records,
      { baseUrl: config.fhirBaseUrl, token: config.fhirToken, timeoutMs: config.notifyTimeoutMs },
      logger,
    ),
  );
  p.started(
    'care-record',
    p.events.on('alert/changed', (event) => {
      const notice = careRecordNotice(event, records);
      if (!notice) return;
      p.outbox
        .enqueue(notice)
        .catch((err: unknown) =>
          logger.error({ err, alertId: event.alert.id }, 'care record notice not queued'),
        );
    }),
  );
  logger.info('handled alerts go to the care record (FHIR_BASE_URL) for homes that said yes');
}

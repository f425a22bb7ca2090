import { z } from 'zod';
import type { AlertEvent } from '../domain/index.ts';
import { classifyStatus } from '../notify/index.ts';
import { type Logger, TryghedError } from '../runtime/index.ts';
import type { CareRecords } from './care-records.ts';
import { SYSTEMS } from './codes.ts';

/** The outbox channel care-record documents go out on. */
export const CARE_RECORD_CHANNEL = 'care-record';

/** Where documents go: the municipality's FHIR server (`FHIR_BASE_URL`, `FHIR_TOKEN`). */
export interface FhirEndpoint {
  /** the FHIR base, e.g. `https://fhir.kommune.dk/r4`; the document is POSTed to `<base>/Bundle` */
  baseUrl: string;
  /** sent as `Authorization: Bearer …` (none when empty); never logged */
  token: string;
  /** one try's limit, ms */
  timeoutMs: number;
}

/**
 * What the outbox keeps for one document: the alert's id only. The document is built when it is
 * sent, so the outbox holds no personal data and a consent withdrawn in between is obeyed.
 */
export const CareRecordPayload = z.strictObject({ alertId: z.string().min(1).max(100) });

/** What the outbox hands a channel's sender for one try (the part of services/outbox ChannelJob read here). */
export interface CareRecordJob {
  payload: unknown;
  /** sent on as `Idempotency-Key`, so the receiver can drop a repeat */
  idempotencyKey: string;
  /** aborted when the platform stops */
  signal: AbortSignal;
}

/** What came of one try (services/notify DeliveryResult); `final` when another try cannot help. */
export interface CareRecordResult {
  delivered: boolean;
  attempts: number;
  detail: string | null;
  final?: boolean;
}

/** A notice for the outbox (services/outbox Notice). */
export interface CareRecordNotice {
  idempotencyKey: string;
  channel: typeof CARE_RECORD_CHANNEL;
  payload: z.infer<typeof CareRecordPayload>;
  /**
   * The alert's id, so the row shows under the alert when it is not delivered. Escalation cancels
   * only its own pages' channels when an alert is handled, never this one (made by the resolve).
   */
  alertId: string;
  homeId: string;
}

/**
 * The notice to enqueue when an alert changes: a care alert (not a test) just resolved in a home
 * that has said yes to sharing its kind with the care record. One per alert: the key is the alert's.
 */
export function careRecordNotice(
  event: AlertEvent,
  records: Pick<CareRecords, 'mayShare'>,
): CareRecordNotice | null {
  const a = event.alert;
  if (event.type !== 'resolved' || a.test || a.audience !== 'care' || !records.mayShare(a)) return null;
  return {
    idempotencyKey: `care-record:${a.id}`,
    channel: CARE_RECORD_CHANNEL,
    payload: { alertId: a.id },
    alertId: a.id,
    homeId: a.homeId,
  };
}

const final = (detail: string): CareRecordResult => ({ delivered: false, attempts: 1, detail, final: true });

/**
 * The care-record channel's sender: builds the alert's document now (consent checked again now,
 * validated), POSTs it to `<FHIR_BASE_URL>/Bundle` with the bearer token, `Idempotency-Key` and a
 * conditional create on the document's identifier (`If-None-Exist`), so a resend after a lost answer
 * is stored once. Delivered: audited as the system's send, shown in the citizen's access log.
 * Refused for good (no consent any more, not documentable, invalid, a 4xx): `final`, never retried.
 */
export function careRecordSender(
  records: CareRecords,
  endpoint: FhirEndpoint,
  logger: Logger,
): (job: CareRecordJob) => Promise<CareRecordResult> {
  const url = `${endpoint.baseUrl.replace(/\/+$/, '')}/Bundle`;
  return async (job) => {
    const parsed = CareRecordPayload.safeParse(job.payload);
    if (!parsed.success) return final('bad_payload');
    const { alertId } = parsed.data;
    let body: string;
    let homeId: string;
    try {
      const alert = await records.alert(alertId);
      homeId = alert.homeId;
      body = JSON.stringify(await records.document(alert));
    } catch (err) {
      const reason = err instanceof TryghedError ? (err.reason ?? err.code) : 'build_failed';
      logger.warn({ alertId, reason }, 'care record document not sent');
      return err instanceof TryghedError ? final(reason) : { delivered: false, attempts: 1, detail: reason };
    }
    const signal = AbortSignal.any([job.signal, AbortSignal.timeout(endpoint.timeoutMs)]);
    let status: number;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          ...(endpoint.token ? { authorization: `Bearer ${endpoint.token}` } : {}),
          'content-type': 'application/fhir+json',
          accept: 'application/fhir+json',
          'idempotency-key': job.idempotencyKey,
          'if-none-exist': `identifier=${SYSTEMS.documentId}|${alertId}`,
        },
        body,
        signal,
        redirect: 'manual',
      });
      // read the answer so the connection goes back to the pool; its content is not kept
      await res.arrayBuffer().catch(() => undefined);
      status = res.status;
    } catch (err) {
      // a short code, never the message: it may quote the URL
      const code = signal.aborted
        ? job.signal.aborted
          ? 'aborted'
          : 'timeout'
        : ((err as { cause?: { code?: string } }).cause?.code ?? 'network_error');
      return { delivered: false, attempts: 1, detail: code };
    }
    const outcome = classifyStatus(status);
    if (outcome === 'delivered') {
      await records.recordSent({ id: alertId, homeId });
      logger.info({ alertId, status }, 'care record document sent');
      return { delivered: true, attempts: 1, detail: null };
    }
    logger.warn({ alertId, status }, 'care record endpoint refused the document');
    return outcome === 'final'
      ? final(`HTTP ${status}`)
      : { delivered: false, attempts: 1, detail: `HTTP ${status}` };
  };
}

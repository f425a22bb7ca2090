import { z } from 'zod';
import { CARE_RECORD_PURPOSE } from '../../../services/care-record/index.ts';
import { notFound, TryghedError } from '../../../services/runtime/index.ts';
import { canHandleAlert } from '../access.ts';
import { type AnyApiRoute, defineRoute, TextBody } from '../api/route.ts';
import { audit, type DashboardContext } from '../context.ts';

const AlertParams = z.object({ id: z.string().min(1).max(100) });
const Flag = z.enum(['0', '1']).default('0');

/**
 * "Deling med journal" by hand (issue 13 point 5): staff of the home's team download a handled alert
 * as the FHIR R4 document the care record gets, to attach it where no FHIR endpoint is set up. Only
 * with the citizen's consent to sharing this kind of alert; every download is audited and shown in
 * the citizen's access log.
 */
export function careRecordRoutes(ctx: DashboardContext): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/alerts/:id/care-record',
      summary: 'A handled alert as a FHIR R4 document (Bundle of type document) for the care record',
      description:
        "The alarm as DetectedIssue, its handling as Encounter, the responder's note in the Composition, with Provenance; `consent=1` adds the consent changes for the alert's kind (Consent), `reads=1` the reads of the home's data since the alert opened (AuditEvent). Staff of the home's team and administrators. 403 `no_care_record_consent` without the citizen's consent to sharing this kind of alert; 409 for an alert not resolved, a test or a technical alert. Audited (`care_record.download`).",
      tag: 'alerts',
      access: ['staff', 'admin'],
      params: AlertParams,
      query: z.strictObject({
        consent: Flag.meta({ description: '1: include the consent changes as Consent' }),
        reads: Flag.meta({
          description: '1: include the reads of the home since the alert opened as AuditEvent',
        }),
      }),
      response: {
        status: 200,
        description: 'the document, validated against the base FHIR R4 structure definitions',
        text: {
          'application/fhir+json': z.string().meta({
            description: 'a FHIR R4 Bundle of type document, Composition first (docs/care-record.md)',
          }),
        },
        headers: { 'Content-Disposition': 'attachment; filename="tryghed-alarm-<alert id>.fhir.json"' },
      },
      errors: ['not_found', 'forbidden', 'conflict', 'unavailable'],
      handle: async ({ params, query, actor, res }) => {
        const alert = await ctx.alerts.get(params.id);
        // an alert of another team is "not found": an id must not reveal that it exists
        if (!alert || !canHandleAlert(actor.user, alert, ctx.registry)) throw notFound('alert');
        if (!ctx.careRecords) throw new TryghedError('unavailable', 'care record documents are not set up');
        const bundle = await ctx.careRecords.document(alert, {
          consent: query.consent === '1',
          reads: query.reads === '1',
        });
        audit(ctx, actor, 'care_record.download', alert.homeId, CARE_RECORD_PURPOSE, alert.id);
        res.set('cache-control', 'no-store');
        res.set('content-disposition', `attachment; filename="tryghed-alarm-${alert.id}.fhir.json"`);
        return new TextBody('application/fhir+json', `${JSON.stringify(bundle, null, 2)}\n`);
      },
    }),
  ];
}

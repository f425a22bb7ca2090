import type { ConsentCategory, Purpose } from '../../../../services/domain/shared/sensor-kinds.ts';
import { api, type RequestBody } from '../api/client.ts';

/** The citizen page's view of the REST API (dashboard/server/routes/citizen.ts). */
export interface Localised {
  da: string;
  en: string;
}

export interface InformationText {
  version: string;
  /** the day this version was first shown (YYYY-MM-DD) */
  issued: string;
  title: Localised;
  body: Localised;
}

export interface Sensor {
  deviceId: string;
  kind: string;
  name: Localised;
}

export interface CategoryView {
  category: ConsentCategory;
  text: { title: Localised; body: Localised };
  sensors: Sensor[];
  purposes: Array<{
    purpose: Purpose;
    granted: boolean;
    /** when it was last given or withdrawn; null when it never was */
    since: number | null;
    basis: string | null;
    text: InformationText;
  }>;
}

export interface ConsentHistoryEntry {
  id: number;
  at: number;
  category: string;
  purpose: string;
  action: 'grant' | 'withdraw';
  actorRole: string;
  actorName: string | null;
  onBehalfOfCitizen: boolean;
  channel: string;
  basis: string | null;
  reference: string | null;
  textVersion: string;
}

export interface Overview {
  home: { id: string; label: string; timezone: string };
  retentionDays: number | null;
  categories: CategoryView[];
  technical: { text: { title: Localised; body: Localised }; sensors: Sensor[] };
  consentHistory: ConsentHistoryEntry[];
}

export interface CitizenAlert {
  id: string;
  rule: string;
  severity: string;
  state: 'open' | 'acknowledged' | 'resolved';
  openedAt: number;
  /** when staff set out ("på vej") and arrived ("fremme") */
  enRouteAt: number | null;
  arrivedAt: number | null;
  resolvedAt: number | null;
  outcome: string | null;
  note: string | null;
  handledBy: string | null;
}

export interface AccessEntry {
  id: number;
  at: number;
  actorRole: string;
  actorName: string | null;
  action: string;
  purpose: string;
  /** for a change to the responder's card: the parts changed, as codes (older entries: English words) */
  detail: string | null;
}

export interface ErasureRequest {
  id: number;
  requesterRole: string;
  requestedAt: number;
  result: 'erased' | 'failed';
}

export interface HomeSummary {
  id: string;
  label: string;
}

const home = (id: string) => `/api/homes/${encodeURIComponent(id)}`;

// typed from the API document: the answers must fit the views above, or the web check fails
export const myHomes = (): Promise<{ homes: HomeSummary[] }> => api('get', '/api/homes');
export const overview = (homeId: string): Promise<Overview> =>
  api('get', '/api/homes/{homeId}/overview', { path: { homeId } });
export const homeAlerts = (homeId: string): Promise<{ alerts: CitizenAlert[] }> =>
  api('get', '/api/homes/{homeId}/alerts', { path: { homeId } });
export const accessLog = (homeId: string): Promise<{ entries: AccessEntry[] }> =>
  api('get', '/api/homes/{homeId}/access-log', { path: { homeId } });
export const erasures = (homeId: string): Promise<{ requests: ErasureRequest[] }> =>
  api('get', '/api/homes/{homeId}/erasure-requests', { path: { homeId } });
export const requestErasure = (homeId: string): Promise<{ request: ErasureRequest }> =>
  api('post', '/api/homes/{homeId}/erasure-requests', { path: { homeId }, body: {} });
export const exportUrl = (id: string, format: 'json' | 'csv') => `${home(id)}/export?format=${format}`;

type ConsentBody = RequestBody<'/api/homes/{homeId}/consent', 'post'>;
export const changeConsent = (
  homeId: string,
  change: Pick<ConsentBody, 'category' | 'purpose' | 'action' | 'textVersion'>,
): Promise<{ event: { at: number } }> =>
  api('post', '/api/homes/{homeId}/consent', { path: { homeId }, body: { ...change, channel: 'web' } });

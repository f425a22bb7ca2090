import { call } from '../api.ts';

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
  category: string;
  text: { title: Localised; body: Localised };
  sensors: Sensor[];
  purposes: Array<{
    purpose: 'alerts' | 'history';
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

export const myHomes = () => call<{ homes: HomeSummary[] }>('GET', '/api/homes');
export const overview = (id: string) => call<Overview>('GET', `${home(id)}/overview`);
export const homeAlerts = (id: string) => call<{ alerts: CitizenAlert[] }>('GET', `${home(id)}/alerts`);
export const accessLog = (id: string) => call<{ entries: AccessEntry[] }>('GET', `${home(id)}/access-log`);
export const erasures = (id: string) =>
  call<{ requests: ErasureRequest[] }>('GET', `${home(id)}/erasure-requests`);
export const requestErasure = (id: string) =>
  call<{ request: ErasureRequest }>('POST', `${home(id)}/erasure-requests`, {});
export const exportUrl = (id: string, format: 'json' | 'csv') => `${home(id)}/export?format=${format}`;

export const changeConsent = (
  id: string,
  change: { category: string; purpose: string; action: 'grant' | 'withdraw'; textVersion: string },
) => call<{ event: { at: number } }>('POST', `${home(id)}/consent`, { ...change, channel: 'web' });

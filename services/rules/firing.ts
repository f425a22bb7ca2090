import type { AlertCandidate, ReadingCategory, RuleKind, Severity } from '../domain/index.ts';
import type { HomeRuleSettings } from './settings.ts';

/** A rule's decision to raise, before the engine checks consent and marks test homes and devices. */
export interface Firing {
  rule: RuleKind;
  homeId: string;
  /** the device the condition is about, when there is one (its `test` flag marks the candidate) */
  deviceId: string | null;
  category: ReadingCategory;
  severity: Severity;
  audience: AlertCandidate['audience'];
  /** epoch ms, when the condition was seen */
  at: number;
  evidence: AlertCandidate['evidence'];
}

/** What a time-based rule needs to know about a home when its timer comes due. */
export type HomeContext = (homeId: string) => { settings: HomeRuleSettings; timeZone: string } | null;

/** One reading as kept in evidence. */
export type EvidenceReading = AlertCandidate['evidence']['readings'][number];

export const iso = (t: number) => new Date(t).toISOString();

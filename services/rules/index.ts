export { RuleEngine, type RuleEngineOptions } from './engine.ts';
export { nextDue } from './inactivity.ts';
export { DaytimeWindow, HomeRuleSettings, parseHomeRuleSettings, type SettingsResult } from './settings.ts';
export { addDays, type LocalDate, localDate, zonedInstant } from './zoned-time.ts';

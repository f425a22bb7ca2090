export { type DegradedReason, type HealthView, PlatformHealth } from './platform-health.ts';

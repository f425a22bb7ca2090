export { type DegradedReason, type HealthView, PlatformHealth } from './platform-health.ts';
export { ReachabilityWatch } from './reachability.ts';

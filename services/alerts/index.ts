export { type AlertActor, AlertService, type AlertServiceOptions } from './alert-service.ts';
export {
  type ChainTargets,
  DEFAULT_CHAIN_TARGETS,
  type Durations,
  type OutcomeStats,
  outcomeStatistics,
  quantile,
  type StatisticsReport,
} from './statistics.ts';

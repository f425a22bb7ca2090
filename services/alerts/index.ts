export { type AlertActor, AlertService, type AlertServiceOptions } from './alert-service.ts';
export {
  type Durations,
  type OutcomeStats,
  outcomeStatistics,
  quantile,
  type StatisticsReport,
} from './statistics.ts';

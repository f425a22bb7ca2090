export { createInfluxV1Store } from './influx-v1.ts';
export { createInfluxV2Store } from './influx-v2.ts';
export {
  type ReadingPoint,
  type ReadingQuery,
  type ReadingStore,
  TimeseriesRefusedError,
  TimeseriesUnavailableError,
} from './types.ts';

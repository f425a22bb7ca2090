export { type AlarmStep, type AlarmStepMessage, alarmStep, alarmStepChannel } from './alarm-steps.ts';
export { type Clock, ManualClock, systemClock, type Timer } from './clock.ts';
export * from './errors.ts';
export { KeyedMac } from './keyed-mac.ts';
export {
  LogBudget,
  type LogBudgetOptions,
  REFUSAL_LINES_PER_WINDOW,
  REFUSAL_WINDOW_MS,
} from './log-budget.ts';
export {
  createLogger,
  LOG_BUFFER_BYTES,
  type Logger,
  type LogOutput,
  logOutputOf,
  silentLogger,
} from './logger.ts';
export { Metrics } from './metrics.ts';
export { MinHeap } from './min-heap.ts';
export {
  DEVICE_SECRET_KEY_FILE,
  DeviceSecretHasher,
  DeviceSecretKeyError,
  hashSecret,
  loadDeviceSecretKey,
  newSecret,
  parseDeviceSecretKey,
  type SecretCheck,
  verifySecret,
} from './secrets.ts';
export { DEFAULT_SLICE_MS, SliceQueue, slicesOf, slicesOfTime } from './slice-queue.ts';

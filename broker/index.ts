export { AUTH_THROTTLE_DEFAULTS, type AuthThrottleOptions } from './auth-throttle.ts';
export {
  type DeviceBroker,
  type DeviceBrokerOptions,
  type DeviceMessage,
  startDeviceBroker,
} from './device-broker.ts';
export type { BrokerEndpoints, ClientCertificateMode, TlsListenerOptions } from './listeners.ts';

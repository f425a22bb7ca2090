export { AUTH_THROTTLE_DEFAULTS, type AuthThrottleOptions } from './auth-throttle.ts';
export {
  type DeviceBroker,
  type DeviceBrokerOptions,
  type DeviceMessage,
  type DeviceMessageListener,
  SETTLES_LATER,
  startDeviceBroker,
} from './device-broker.ts';
export type { BrokerEndpoints, ClientCertificateMode, TlsListenerOptions } from './listeners.ts';

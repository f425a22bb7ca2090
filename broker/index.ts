export {
  BrokerStartError,
  type DeviceBroker,
  type DeviceBrokerOptions,
  type DeviceMessage,
  startDeviceBroker,
} from './device-broker.ts';
export type { BrokerEndpoints, ClientCertificateMode, TlsListenerOptions } from './listeners.ts';

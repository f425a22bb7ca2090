export { freePort, influxdInstalled, type LocalInfluxd, startInfluxd } from './influxd.ts';
export { loadMqttTls, type MqttTlsMaterial, selfSignedPaths } from './mqtt-tls.ts';
export type { MqttTlsInfo } from './start.ts';

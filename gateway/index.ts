export {
  DeviceMap,
  DeviceMapEntry,
  GATEWAY_ENV,
  type GatewayConfig,
  GatewayConfigError,
  GatewayConfigSchema,
  loadGatewayConfig,
} from './config.ts';
export { HomeGateway, type HomeGatewayOptions, isAlarm } from './home-gateway.ts';
export { Outbox } from './outbox.ts';
export { decodePairing, PairingError, writeConfigFromBundle } from './pairing.ts';
export { GATEWAY_USAGE, type RunningGateway, runGatewayCli, startGateway } from './run.ts';
export { mapDeviceState } from './zigbee2mqtt/mapping.ts';
export { parseAvailability, parseLocalTopic } from './zigbee2mqtt/messages.ts';
export { Zigbee2mqttSource } from './zigbee2mqtt/source.ts';

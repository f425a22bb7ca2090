export { EventBus } from './bus.ts';
export {
  type ArrivalHook,
  type ClusterLink,
  type ClusterLinkOptions,
  DEFAULT_EVENT_STREAM,
  openClusterLink,
} from './cluster-link.ts';
export {
  type ConsentChange,
  createPlatformBus,
  type DeviceAccessEnd,
  type DeviceFacts,
  deviceFacts,
  PLATFORM_EVENT_NAMES,
  type PlatformBus,
  type PlatformEventName,
  type PlatformEvents,
  type TestReadingRequest,
} from './events.ts';
export { eventOrigin, isRemoteEvent, markOrigin } from './origin.ts';
export { parseRelayed, RELAYED_EVENTS, type RelayedEventName } from './wire.ts';

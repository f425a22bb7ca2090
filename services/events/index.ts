export { EventBus } from './bus.ts';
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
} from './events.ts';

export { type AlertActor, AlertService, type AlertServiceOptions } from './alert-service.ts';

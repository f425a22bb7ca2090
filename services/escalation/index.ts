export { type EscalationNotifiers, EscalationService, type EscalationOptions } from './escalation-service.ts';

export {
  type EscalationFence,
  type EscalationNotifiers,
  type EscalationOptions,
  EscalationService,
} from './escalation-service.ts';

export {
  DEFAULT_PRESENCE_KEY,
  openTeamPresence,
  type TeamPresence,
  type TeamPresenceOptions,
} from './team-presence.ts';

import type { Translation } from './translation.ts';

/** The home's daily routine (the inactivity rule's settings). */
export const da = {
  title: 'Borgerens rutine',
  minutes: 'Alarm efter så mange minutter uden bevægelse',
  window: 'Dagperiode',
  from: 'Fra',
  to: 'Til',
  add: 'Tilføj dagperiode',
  remove: 'Fjern dagperiode',
  night: 'Nat',
  save: 'Gem rutine',
  saved: 'Rutinen er gemt og gælder fra nu.',
  failed: 'Rutinen blev ikke gemt',
  timeHint: '24-timers ur, fx 07:30',
  timeInvalid: 'Skriv et klokkeslæt som tt:mm, fx 07:30 eller 22:00.',
};

export const en: Translation<typeof da> = {
  title: "The citizen's routine",
  minutes: 'Alert after this many minutes without movement',
  window: 'Daytime period',
  from: 'From',
  to: 'To',
  add: 'Add a daytime period',
  remove: 'Remove daytime period',
  night: 'Night',
  save: 'Save routine',
  saved: 'The routine is saved and applies from now.',
  failed: 'The routine was not saved',
  timeHint: '24-hour clock, e.g. 07:30',
  timeInvalid: 'Write a time as hh:mm, e.g. 07:30 or 22:00.',
};

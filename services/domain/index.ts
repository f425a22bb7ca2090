export * from './alert.ts';
export * from './consent.ts';
export * from './ids.ts';
export * from './information-texts.ts';
export * from './pairing.ts';
export * from './reading.ts';
export * from './sensors.ts';
export * from './topics.ts';

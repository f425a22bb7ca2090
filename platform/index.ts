export { freePort, influxdInstalled, type LocalInfluxd, startInfluxd } from './influxd.ts';

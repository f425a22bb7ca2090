/**
 * Micro: how long building one InfluxDB write holds the event loop. The platform builds the line
 * protocol itself, `LINES_PER_SLICE` points per turn of the event loop (the longest slice is
 * measured); the peer is the `influx` package's `writePoints`, which builds the whole body in one go
 * before it sends (measured up to its return, sent to a closed port so nothing is stored).
 */
import { InfluxDB, type IPoint } from 'influx';
import type { Reading } from '../../services/domain/index.ts';
import { LINES_PER_SLICE, readingLine } from '../../services/timeseries/line-protocol.ts';
import { pointTimeNs } from '../../services/timeseries/types.ts';
import type { Row } from './stats.ts';

const BATCH = 5000;

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

export async function lineProtocol(rows: Row[], rounds: number): Promise<void> {
  const now = Date.now();
  const readings: Reading[] = Array.from({ length: BATCH }, (_, i) => ({
    homeId: `home-${i % 700}`,
    deviceId: `device-${i % 2000}`,
    kind: 'temperature',
    category: 'environment',
    value: 20 + (i % 50) / 10,
    ts: now - i,
    seq: i,
    receivedAt: now,
  }));
  const influx = new InfluxDB({ host: '127.0.0.1', port: 1, database: 'bench' });
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let round = 0; round < Math.max(rounds, 3); round++) {
    let longest = 0;
    for (let start = 0; start < BATCH; start += LINES_PER_SLICE) {
      const t0 = process.hrtime.bigint();
      for (let i = start; i < start + LINES_PER_SLICE; i++) readingLine(readings[i]!);
      longest = Math.max(longest, ms(t0));
      await new Promise((r) => setImmediate(r));
    }
    ours.push(longest);
    const t0 = process.hrtime.bigint();
    // as the platform called it before: a point object per reading, then writePoints
    const points: IPoint[] = readings.map((r) => ({
      measurement: 'reading',
      tags: { home: r.homeId, device: r.deviceId, kind: r.kind, category: r.category },
      fields: { value: r.value, seq: r.seq },
      timestamp: pointTimeNs(r.ts, r.seq),
    }));
    const sent = influx.writePoints(points, { precision: 'n' });
    theirs.push(ms(t0));
    await sent.catch(() => undefined);
  }
  rows.push({
    section: 'micro',
    what: `InfluxDB write of ${BATCH.toLocaleString('en')} readings, longest hold of the event loop`,
    unit: 'ms',
    higherIsBetter: false,
    platform: ours,
    peer: theirs,
    peerName: '`influx` package, in one go',
  });
}

import { randomBytes } from 'node:crypto';
import { topics } from '../services/domain/index.ts';
import {
  type ClusterLink,
  isRemoteEvent,
  type PlatformBus,
  type TestReadingRequest,
} from '../services/events/index.ts';
import type { Ingest } from '../services/ingest/index.ts';
import type { Logger } from '../services/runtime/index.ts';

/** How long a claim on a request holds: longer than any answer is waited for. */
const CLAIM_MS = 60_000;
/** How long a dashboard process waits for a broker+ingest process to answer. */
export const REMOTE_TEST_READING_WAIT_MS = 5_000;

export interface RemoteTestResult {
  accepted: number;
  rejected: string[];
}

/**
 * A broker+ingest process carries out the test readings asked for at dashboard processes without
 * ingest (`test-reading/requested` over the cluster link): one of them (by claim in Redis) runs it
 * through its ingest, marked test, exactly as a device's reading (topic, schema, declared kind,
 * consent, ranges), and says what became of it (`test-reading/done`).
 */
export function serveRemoteTestReadings(p: {
  events: PlatformBus;
  link: ClusterLink;
  ingest: Pick<Ingest, 'handleMessage'>;
  logger: Logger;
}): () => void {
  return p.events.on('test-reading/requested', (request) => {
    // this process's own requests (it has ingest, so it makes none) and only remote ones
    if (!isRemoteEvent(request)) return;
    void p.link.claim(`test-reading:${request.requestId}`, CLAIM_MS).then((mine) => {
      if (!mine) return;
      const result = p.ingest.handleMessage(
        topics.readings(request.homeId, request.deviceId),
        Buffer.from(JSON.stringify(request.reading)),
        { test: true },
      );
      p.logger.info(
        { deviceId: request.deviceId, accepted: result.accepted },
        'test reading asked at another process run through ingest',
      );
      p.events.emit('test-reading/done', {
        requestId: request.requestId,
        accepted: result.accepted,
        rejected: [...result.rejected],
      });
    });
  });
}

/**
 * At a process without ingest: asks the broker+ingest processes to run a test reading, and
 * resolves to what ingest did with it; null when none answered within the wait.
 */
export function remoteTestReadings(p: {
  events: PlatformBus;
  link: ClusterLink;
}): (request: Omit<TestReadingRequest, 'requestId'>) => Promise<RemoteTestResult | null> {
  return (request) => {
    if (!p.link.connected()) return Promise.resolve(null);
    const requestId = randomBytes(16).toString('hex');
    return new Promise((resolve) => {
      const off = p.events.on('test-reading/done', (done) => {
        if (done.requestId !== requestId) return;
        finish({ accepted: done.accepted, rejected: done.rejected });
      });
      // real time: how long the technician waits
      const timer = setTimeout(() => finish(null), REMOTE_TEST_READING_WAIT_MS);
      timer.unref();
      function finish(result: RemoteTestResult | null) {
        clearTimeout(timer);
        off();
        resolve(result);
      }
      p.events.emit('test-reading/requested', { requestId, ...request });
    });
  };
}

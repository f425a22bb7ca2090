import type { ErasureRequest } from '../domain/index.ts';
import type { Store } from '../store/index.ts';

/**
 * The record of erasure requests: the one owner of the `erasure_requests` table. Append-only: a
 * request is recorded once it has been carried out, with what came of it.
 */
export class ErasureLog {
  private readonly erasures;

  constructor(store: Pick<Store, 'erasures'>) {
    this.erasures = store.erasures;
  }

  record(request: Omit<ErasureRequest, 'id'>): Promise<ErasureRequest> {
    return this.erasures.record(request);
  }

  ofHome(homeId: string): Promise<ErasureRequest[]> {
    return this.erasures.listByHome(homeId);
  }

  /** every home's requests asked for at or after `requestedFrom` (epoch ms), oldest first */
  since(requestedFrom: number): Promise<ErasureRequest[]> {
    return this.erasures.listSince(requestedFrom);
  }
}

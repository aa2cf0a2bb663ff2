import { requestJson } from './http';

/** Typed client of the mainnet's REST admin API (reads). */
export class MainnetRestClient {
  constructor(readonly baseUrl: string) {}

  spns<T = unknown>(page: { limit?: number; offset?: number } = {}): Promise<T> {
    return requestJson<T>(this.baseUrl, `/spns${query(page)}`);
  }

  /** `POST /spns`: registers an SPN (RegisterSpnInput of libs/mainnet); the same registration again is accepted, a different one is a 409. */
  registerSpn<T = Record<string, unknown>>(input: Record<string, unknown>): Promise<T> {
    return requestJson<T>(this.baseUrl, '/spns', { body: input });
  }

  spn<T = Record<string, unknown>>(id: string): Promise<T> {
    return requestJson<T>(this.baseUrl, `/spns/${id}`);
  }

  batches<T = unknown>(id: string, page: { limit?: number; before?: number } = {}): Promise<T> {
    return requestJson<T>(this.baseUrl, `/spns/${id}/batches${query(page)}`);
  }

  batch<T = Record<string, unknown>>(id: string, batchNo: number | bigint): Promise<T> {
    return requestJson<T>(this.baseUrl, `/spns/${id}/batches/${batchNo}`);
  }

  blocks<T = unknown>(page: { limit?: number; before?: number } = {}): Promise<T> {
    return requestJson<T>(this.baseUrl, `/blocks${query(page)}`);
  }
}

function query(params: Record<string, number | undefined>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined);
  return entries.length ? '?' + new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString() : '';
}

import { requestJson } from './http';

/** Typed client of the mainnet's REST admin API. */
export class MainnetRestClient {
  /** `adminToken`: sent as `Authorization: Bearer <it>` (a mainnet with MAINNET_ADMIN_TOKEN needs it to register SPNs). */
  constructor(
    readonly baseUrl: string,
    private readonly options: { adminToken?: string } = {},
  ) {}

  spns<T = unknown>(page: { limit?: number; offset?: number } = {}): Promise<T> {
    return requestJson<T>(this.baseUrl, `/spns${query(page)}`);
  }

  /** `POST /spns`: registers an SPN (RegisterSpnInput of libs/mainnet); the same registration again is accepted, a different one is a 409. */
  registerSpn<T = Record<string, unknown>>(input: Record<string, unknown>): Promise<T> {
    return requestJson<T>(this.baseUrl, '/spns', {
      body: input,
      ...(this.options.adminToken === undefined ? {} : { headers: { authorization: `Bearer ${this.options.adminToken}` } }),
    });
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

  /** `GET /staking`: the chain id stake operations are signed for, the unbonding delay, the slash share. */
  stakingParams<T = { chainId: number; unbondingMs: number; slashBps: number }>(): Promise<T> {
    return requestJson<T>(this.baseUrl, '/staking');
  }

  /** `POST /staking/operations`: a signed stake operation (libs/core signStakeOperation); answers with the account after it. */
  stakeOperation<T = Record<string, unknown>>(op: object): Promise<T> {
    return requestJson<T>(this.baseUrl, '/staking/operations', { body: op });
  }

  /** `GET /accounts/:address`: balance, bonded stake, restakes, unbonding entries and the next nonce. */
  account<T = Record<string, unknown>>(address: string): Promise<T> {
    return requestJson<T>(this.baseUrl, `/accounts/${address}`);
  }

  /** `POST /slashes`: evidence of a fault (a signed batch whose proof does not verify). */
  submitEvidence<T = Record<string, unknown>>(submission: object): Promise<T> {
    return requestJson<T>(this.baseUrl, '/slashes', { body: submission });
  }

  slashes<T = unknown[]>(id: string): Promise<T> {
    return requestJson<T>(this.baseUrl, `/spns/${id}/slashes`);
  }

  /** `GET /messages/:traceId`: a settled cross-SPN message and its state (relaying, executed, failed). */
  message<T = Record<string, unknown>>(traceId: string): Promise<T> {
    return requestJson<T>(this.baseUrl, `/messages/${traceId}`);
  }

  /** `GET /spns/:id/messages`: messages the SPN sent (`out`, default) or was sent (`in`), newest first. */
  messages<T = unknown>(id: string, page: { direction?: 'out' | 'in'; limit?: number; before?: number } = {}): Promise<T> {
    const { direction, ...numbers } = page;
    const q = query(numbers);
    return requestJson<T>(this.baseUrl, `/spns/${id}/messages${direction ? `${q ? q + '&' : '?'}direction=${direction}` : q}`);
  }

  blocks<T = unknown>(page: { limit?: number; before?: number } = {}): Promise<T> {
    return requestJson<T>(this.baseUrl, `/blocks${query(page)}`);
  }
}

function query(params: Record<string, number | undefined>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined);
  return entries.length ? '?' + new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString() : '';
}

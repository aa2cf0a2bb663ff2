/**
 * bench:e2e's EVM workload (--vm evm): an EVM SPN whose genesis funds the bench's accounts with
 * ETH, an ERC-20 (libs/vm-evm/test-fixtures/Token.sol) deployed and handed out to every sender
 * over JSON-RPC, then signed ERC-20 transfers sent with `eth_sendRawTransaction` in JSON-RPC
 * batches, senders side by side, each sender to its own receiver (so txs of different senders
 * do not conflict).
 */
import { request } from 'node:http';
import { getCreateAddress, Interface } from 'ethers';
import { compileFixtures } from '../../libs/vm-evm/test-fixtures/solidity';
import { CHAIN_ID, ETH, keyOf, sign, type Key } from './erc20';

/** The EVM SPN's environment for the workload: chain id of the bench's signatures, its accounts funded. */
export function evmSpnEnv(senders: number): Record<string, string> {
  const alloc = Object.fromEntries(
    Array.from({ length: senders + 1 }, (_, i) => [keyOf(i).address.toLowerCase(), { balance: '0x' + (1_000n * ETH).toString(16) }]),
  );
  return { EVM_CHAIN_ID: String(CHAIN_ID), GENESIS_ALLOC: JSON.stringify(alloc) };
}

interface RpcResponse {
  id: number;
  result?: unknown;
  error?: { code: number; message: string };
}

/** POSTs `body` on a connection of its own (no keep-alive: a reused socket the server had just closed failed as "other side closed"). */
function post(url: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** JSON-RPC batch: the results in request order; any error throws with its message. */
async function rpcBatch(url: string, calls: { method: string; params: unknown[] }[]): Promise<unknown[]> {
  const body = calls.map((c, id) => ({ jsonrpc: '2.0', id, method: c.method, params: c.params }));
  const res = await post(url, JSON.stringify(body));
  if (res.status !== 200) throw new Error(`JSON-RPC ${res.status}: ${res.text}`);
  const out = JSON.parse(res.text) as RpcResponse[];
  const byId = new Map(out.map((r) => [r.id, r]));
  return calls.map((c, id) => {
    const r = byId.get(id);
    if (r === undefined) throw new Error(`JSON-RPC: no answer to ${c.method} #${id}`);
    if (r.error) throw new Error(`JSON-RPC ${c.method}: ${r.error.message}`);
    return r.result;
  });
}

const hex = (raw: Uint8Array) => '0x' + Buffer.from(raw).toString('hex');

/** Sends raw txs (in order, `perRequest` to a JSON-RPC batch); their hashes. */
async function sendRaw(url: string, raws: Uint8Array[], perRequest = 50): Promise<string[]> {
  const hashes: string[] = [];
  for (let i = 0; i < raws.length; i += perRequest) {
    const batch = raws.slice(i, i + perRequest).map((raw) => ({ method: 'eth_sendRawTransaction', params: [hex(raw)] }));
    hashes.push(...((await rpcBatch(url, batch)) as string[]));
  }
  return hashes;
}

/** Waits until every tx has a successful receipt (setup txs). */
async function waitForReceipts(url: string, hashes: string[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  let left = hashes;
  while (left.length > 0) {
    const receipts = (await rpcBatch(
      url,
      left.map((h) => ({ method: 'eth_getTransactionReceipt', params: [h] })),
    )) as ({ status: string } | null)[];
    const failed = receipts.findIndex((r) => r !== null && r.status !== '0x1');
    if (failed >= 0) throw new Error(`setup tx ${left[failed]} failed`);
    left = left.filter((_, i) => receipts[i] === null);
    if (Date.now() > deadline) throw new Error(`${left.length} setup txs not included within 2 minutes`);
    if (left.length > 0) await new Promise((r) => setTimeout(r, 200));
  }
}

/** Txs sent, with when each was sent. */
export type Sent = { hash: string; at: number }[];

/**
 * A workload: `sign(count)` signs that many more txs (nonces going on from call to call) and
 * returns how to send them, senders side by side. Signing is the client's cost, not the SPN's:
 * bench:e2e does it before its clock starts (on the same 2 cores, 3,000 secp256k1 signatures
 * would otherwise count as seconds of the node's time).
 */
export interface TransferLoad {
  sign(count: number): Promise<() => Promise<Sent>>;
}

/**
 * Deploys the token and gives every sender some; then `sign` signs transfers (sender s pays
 * receiver s). With `workRounds`, the txs are compute-heavy calls instead (see prepareEvmWork).
 */
export async function prepareEvmTransfers(spnUrl: string, senderCount: number, workRounds = 0): Promise<TransferLoad> {
  const url = `${spnUrl}/rpc`;
  if (workRounds > 0) return prepareEvmWork(url, senderCount, workRounds);
  const token = compileFixtures().Token;
  const iface = new Interface(token.abi as never);
  const owner = keyOf(0);
  const senders: Key[] = Array.from({ length: senderCount }, (_, i) => keyOf(i + 1));
  let ownerNonce = 0n;
  const deploy = sign(owner, ownerNonce++, undefined, token.bytecode + iface.encodeDeploy(['Bench', 'B', 10n ** 30n]).slice(2), 3_000_000n);
  await waitForReceipts(url, await sendRaw(url, [deploy]));
  const tokenAt = getCreateAddress({ from: owner.address, nonce: 0 }).toLowerCase();
  const funding = senders.map((s) =>
    sign(owner, ownerNonce++, tokenAt, iface.encodeFunctionData('transfer', [s.address, 10n ** 24n]), 100_000n),
  );
  await waitForReceipts(url, await sendRaw(url, funding));
  return sendingRounds(url, senders, (s, nonce) => {
    const to = '0x' + (0xe0000 + s).toString(16).padStart(40, '0');
    return sign(senders[s], nonce, tokenAt, iface.encodeFunctionData('transfer', [to, 1n]), 100_000n);
  });
}

/** Gas limit of one `Work.work` call of `rounds` rounds (bench:e2e sets the block gas limit from it). */
export function workGasLimit(rounds: number): bigint {
  return 60_000n + 150n * BigInt(rounds);
}

/**
 * The compute-heavy workload (bench:e2e --evm-work ROUNDS): the Work fixture
 * (libs/vm-evm/test-fixtures/Work.sol) deployed, and every tx a `work(rounds, s)` call of sender
 * s: `rounds` keccak rounds, the result in sender s's own slot (no two senders' txs conflict).
 */
async function prepareEvmWork(url: string, senderCount: number, rounds: number): Promise<TransferLoad> {
  const work = compileFixtures().Work;
  const iface = new Interface(work.abi as never);
  const owner = keyOf(0);
  const senders: Key[] = Array.from({ length: senderCount }, (_, i) => keyOf(i + 1));
  await waitForReceipts(url, await sendRaw(url, [sign(owner, 0n, undefined, work.bytecode, 1_000_000n)]));
  const workAt = getCreateAddress({ from: owner.address, nonce: 0 }).toLowerCase();
  return sendingRounds(url, senders, (s, nonce) =>
    sign(senders[s], nonce, workAt, iface.encodeFunctionData('work', [rounds, s]), workGasLimit(rounds)),
  );
}

/** `sign(count)`: signs `count` txs (`signTx(sender, nonce)`, senders in turn); the returned function sends them in rounds. */
function sendingRounds(url: string, senders: Key[], signTx: (sender: number, nonce: bigint) => Uint8Array): TransferLoad {
  const senderCount = senders.length;
  const nonces = senders.map(() => 0n);
  return {
    async sign(count) {
      // Per sender, in nonce order.
      const streams: Uint8Array[][] = senders.map(() => []);
      for (let i = 0; i < count; i++) {
        const s = i % senderCount;
        streams[s].push(signTx(s, nonces[s]++));
      }
      // Round r sends every sender's r-th tx, in batches of 50 posted at once; a round is in
      // before the next (ingress takes a sender's nonces in order).
      return async () => {
        const sent: Sent = [];
        for (let r = 0; r < Math.ceil(count / senderCount); r++) {
          const raws = streams.map((s) => s[r]).filter((raw): raw is Uint8Array => raw !== undefined);
          const at = Date.now();
          const parts: Uint8Array[][] = [];
          for (let i = 0; i < raws.length; i += 50) parts.push(raws.slice(i, i + 50));
          for (const hashes of await Promise.all(parts.map((part) => sendRaw(url, part))))
            for (const hash of hashes) sent.push({ hash, at });
        }
        return sent;
      };
    },
  };
}

import type { DataSource } from 'typeorm';
import { Transaction } from 'ethers';
import { InvalidInputError } from '@mesh/core';
import type { EvmEngine } from '@mesh/vm-evm';
import type { StateReader } from '../executor';
import type { Accepted, Mempool } from '../mempool';

export interface EvmIngressOptions {
  chainId: bigint;
  /** Gas limit of every block; a tx asking for more can never be included. */
  blockGasLimit: bigint;
  /** Largest accepted calldata (geth's pool takes txs up to 128 KiB). */
  maxCalldataBytes: number;
}

export const DEFAULT_MAX_CALLDATA_BYTES = 128 * 1024;
/** Room for the rest of a transaction (fields, signature, access list) next to its calldata. */
const TX_ENVELOPE_BYTES = 16 * 1024;
/** EIP-3860: the largest init code a contract creation may carry. */
export const MAX_INITCODE_BYTES = 49_152;

/** What ingress needs to know of the chain: the next block's base fee, and whether the genesis block is still to come. */
export interface EvmIngressChain {
  nextBaseFee(): Promise<bigint>;
  genesisPending(): Promise<boolean>;
}

const refuse = (message: string): InvalidInputError => new InvalidInputError(message);

/**
 * Ingress of an EVM SPN (eth_sendRawTransaction). Checks, in this order, with geth's messages:
 * size ("oversized data"), encoding and type, chain id ("invalid chain id"), EIP-155 replay
 * protection, init code size, tip vs fee cap, gas limit against the block's ("exceeds block gas
 * limit") and the per-tx cap, signature ("invalid sender"), intrinsic gas, fee cap against the
 * next block's base fee ("transaction underpriced"), nonce = the sender's next one counting its
 * pending txs ("nonce too low" / "nonce too high"), and balance >= gasLimit * maxFee + value of
 * this tx and the sender's pending ones ("insufficient funds for gas * price + value"). Then the
 * mempool stores it before the answer. A tx sent again gets its hash back. Every refusal is an
 * InvalidInputError and stores nothing.
 */
export class EvmIngress {
  constructor(
    private readonly db: DataSource,
    private readonly mempool: Mempool,
    private readonly engine: EvmEngine,
    private readonly state: StateReader,
    private readonly chain: EvmIngressChain,
    readonly options: EvmIngressOptions,
  ) {}

  async submitRaw(raw: Uint8Array): Promise<Accepted> {
    const { chainId, blockGasLimit, maxCalldataBytes } = this.options;
    if (raw.length > maxCalldataBytes + TX_ENVELOPE_BYTES)
      throw refuse(`oversized data: transaction is ${raw.length} bytes, the limit is ${maxCalldataBytes + TX_ENVELOPE_BYTES}`);
    let parsed: Transaction;
    try {
      parsed = Transaction.from('0x' + Buffer.from(raw).toString('hex'));
    } catch (err) {
      throw refuse(`invalid transaction: ${shortEthersMessage(err)}`);
    }
    if (![0, 1, 2].includes(parsed.type ?? 0))
      throw refuse(`transaction type not supported: type ${parsed.type} (this SPN takes legacy, EIP-2930 and EIP-1559 transactions)`);
    const dataBytes = (parsed.data.length - 2) / 2;
    if (dataBytes > maxCalldataBytes) throw refuse(`oversized data: calldata is ${dataBytes} bytes, the limit is ${maxCalldataBytes}`);
    if (parsed.type === 0 && parsed.chainId === 0n) throw refuse('only replay-protected (EIP-155) transactions allowed over RPC');
    if (parsed.chainId !== chainId) throw refuse(`invalid chain id for signer: have ${parsed.chainId} want ${chainId}`);
    if (parsed.to === null && dataBytes > MAX_INITCODE_BYTES)
      throw refuse(`max initcode size exceeded: code size ${dataBytes}, limit ${MAX_INITCODE_BYTES}`);
    if (parsed.maxFeePerGas !== null && parsed.maxPriorityFeePerGas !== null && parsed.maxPriorityFeePerGas > parsed.maxFeePerGas)
      throw refuse(
        `max priority fee per gas higher than max fee per gas: maxPriorityFeePerGas ${parsed.maxPriorityFeePerGas}, maxFeePerGas ${parsed.maxFeePerGas}`,
      );
    if (parsed.gasLimit > blockGasLimit)
      throw refuse(`exceeds block gas limit: gas limit ${parsed.gasLimit}, block gas limit ${blockGasLimit}`);
    const txGasCap = this.engine.maxTxGas(blockGasLimit);
    if (parsed.gasLimit > txGasCap) throw refuse(`transaction gas limit too high (cap: ${txGasCap}, tx: ${parsed.gasLimit})`);
    if (parsed.signature === null) throw refuse('invalid sender: the transaction is not signed');

    const decoded = this.decode(raw);
    if (await this.known(decoded.hash)) return { hash: decoded.hash, duplicate: true };
    if (await this.chain.genesisPending()) throw refuse('the genesis block is not committed yet; retry in a moment');
    const baseFee = await this.chain.nextBaseFee();
    if (decoded.maxFeePerGas < baseFee)
      throw refuse(
        `transaction underpriced: max fee per gas less than block base fee: maxFeePerGas ${decoded.maxFeePerGas}, baseFee ${baseFee}`,
      );
    const from = decoded.from.toLowerCase();
    const next = await this.mempool.nextNonce(from);
    if (decoded.nonce < next) throw refuse(`nonce too low: next nonce ${next}, tx nonce ${decoded.nonce}`);
    if (decoded.nonce > next) throw refuse(`nonce too high: next nonce ${next}, tx nonce ${decoded.nonce}`);
    const cost = decoded.gasLimit * decoded.maxFeePerGas + decoded.tx.value;
    const pendingCost = await this.pendingCost(from);
    const balance = this.engine.getBalance(from, this.state);
    if (balance < cost + pendingCost) {
      const pending = pendingCost > 0n ? ` (this tx ${cost} + pending txs ${pendingCost})` : '';
      throw refuse(`insufficient funds for gas * price + value: address ${from} have ${balance} want ${cost + pendingCost}${pending}`);
    }
    const hex = '0x' + Buffer.from(raw).toString('hex');
    try {
      return await this.mempool.add({
        hash: decoded.hash,
        kind: 'evm',
        sender: from,
        nonce: decoded.nonce,
        body: { raw: hex },
        code: null,
      });
    } catch (err) {
      // Another tx of the sender took the nonce meanwhile: the mempool's refusal, in geth's words.
      const message = (err as Error).message ?? '';
      const expected = /next nonce is (\d+)/.exec(message)?.[1];
      if (err instanceof InvalidInputError && expected !== undefined)
        throw refuse(`nonce too ${/already used/.test(message) ? 'low' : 'high'}: next nonce ${expected}, tx nonce ${decoded.nonce}`);
      throw err;
    }
  }

  /** The engine's decoding (signature recovery, intrinsic gas, EIP-7825 cap), its refusals in geth's words. */
  private decode(raw: Uint8Array) {
    try {
      return this.engine.decodeRawTx(raw);
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      const m = err.message;
      const intrinsic = /gas limit (\d+) is below the (\d+) this transaction needs/.exec(m);
      if (intrinsic) throw refuse(`intrinsic gas too low: have ${intrinsic[1]}, want ${intrinsic[2]}`);
      const cap = /gas limit (\d+) exceeds the (?:per-transaction cap of|maximum allowed by EIP-7825 \()(\d+)/i.exec(m);
      if (cap) throw refuse(`transaction gas limit too high (cap: ${cap[2]}, tx: ${cap[1]})`);
      if (/^bad signature/.test(m) || /not signed/.test(m)) throw refuse(`invalid sender: ${m}`);
      throw refuse(`invalid transaction: ${m}`);
    }
  }

  private async known(hash: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query('SELECT 1 FROM spn_tx WHERE spn_id = $1 AND hash = $2', [this.mempool.spnId, hash]);
    return rows.length > 0;
  }

  /** What the sender's pending txs may still spend (gasLimit * maxFee + value each). */
  private async pendingCost(sender: string): Promise<bigint> {
    const rows: { raw: string }[] = await this.db.query(
      "SELECT body->>'raw' AS raw FROM spn_tx WHERE spn_id = $1 AND sender = $2 AND status = 'pending'",
      [this.mempool.spnId, sender],
    );
    let total = 0n;
    for (const row of rows) {
      const d = this.engine.decodeRawTxHex(row.raw);
      total += d.gasLimit * d.maxFeePerGas + d.tx.value;
    }
    return total;
  }
}

function shortEthersMessage(err: unknown): string {
  const e = err as { shortMessage?: string; message?: string };
  return e.shortMessage ?? e.message ?? String(err);
}

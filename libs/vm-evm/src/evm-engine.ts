import { createBlock, createBlockHeader, paramsBlock, type Block } from '@ethereumjs/block';
import { Common, Hardfork, Mainnet, createCustomCommon, type CustomCrypto } from '@ethereumjs/common';
import {
  Capability,
  createAccessList2930Tx,
  createLegacyTx,
  createTxFromRLP,
  getMinimumGasLimit,
  type TypedTransaction,
} from '@ethereumjs/tx';
import {
  Address,
  bigIntToBytes,
  createAddressFromString,
  createZeroAddress,
  generateAddress,
  hexToBytes,
} from '@ethereumjs/util';
import { Bloom, createVM, runTx, type RunTxResult, type VM } from '@ethereumjs/vm';
import { AbiCoder, decodeRlp } from 'ethers';
import { InvalidInputError } from '@mesh/core';
import { isDependencyAbort } from '@mesh/executor';
import { hexOf } from './hex';
import { installInterpreterCaches } from './interpreter-caches';
import { loadKeccak256 } from './keccak';
import { EvmCodeCache, EvmHostError, EvmKeyCache, SpnStateManager, type CodeSource, type EvmStateReader } from './evm-state-manager';

export const DEFAULT_BLOCK_GAS_LIMIT = 30_000_000n;
export const INITIAL_BASE_FEE = 1_000_000_000n;

/**
 * Default hardfork: the latest one @ethereumjs/common 10.1.3 knows that is final. `bpo2` is the
 * Osaka EVM (EIP-7825 tx gas cap, CLZ, P-256 precompile, ...) with blob parameters changed only;
 * this SPN has no blob transactions, so it executes exactly like `osaka`. `amsterdam` is refused:
 * its spec is a draft ("implementation incomplete + spec still moving" in @ethereumjs/common),
 * and its EIP-8037 two-dimensional state gas changes what runTx charges (a plain 53k-gas
 * deployment runs out of gas at 100k) and how block gas adds up, which runTx alone does not give.
 */
export const DEFAULT_HARDFORK = 'bpo2';

/** Hardforks this engine runs: EIP-1559 and EIP-2930 active (London) up to the last final one. */
export const SUPPORTED_HARDFORKS: readonly string[] = [
  Hardfork.London,
  Hardfork.ArrowGlacier,
  Hardfork.GrayGlacier,
  Hardfork.MergeNetsplitBlock,
  Hardfork.Paris,
  Hardfork.Shanghai,
  Hardfork.Cancun,
  Hardfork.Prague,
  Hardfork.Osaka,
  Hardfork.Bpo1,
  Hardfork.Bpo2,
];

/** Transaction types the engine accepts: legacy (EIP-155 protected), EIP-2930, EIP-1559. */
export const SUPPORTED_TX_TYPES: readonly number[] = [0, 1, 2];

export interface EvmBlockInput {
  number: bigint;
  /** Seconds. */
  timestamp: bigint;
  baseFeePerGas: bigint;
  gasLimit: bigint;
  coinbase: string;
  parentHash: string;
}

export interface EvmLog {
  address: string;
  topics: string[];
  data: string;
}

export interface EvmReceipt {
  status: 'success' | 'reverted';
  gasUsed: string;
  cumulativeGasUsed: string;
  effectiveGasPrice: string;
  type: number;
  logs: EvmLog[];
  logsBloom: string;
  contractAddress: string | null;
  /** Decoded `Error(string)` / `Panic(uint256)` of a reverted call. */
  revertReason?: string;
  /** Why the tx failed: the EVM's error ('revert', 'out of gas', ...) or why it was invalid. */
  error?: string;
  from: string;
  to: string | null;
  txHash: string;
}

export interface EvmBlockResult {
  receipts: EvmReceipt[];
  /** Net tree writes of the block (0 = delete). */
  writes: Map<bigint, bigint>;
  /** Code deployed in this block that the final state references, by keccak256 hash. */
  newCode: Map<string, Uint8Array>;
  gasUsed: bigint;
  logsBloom: string;
}

/** A block being run on one VM: what `runBlockTx` needs (from `openBlock`). */
export interface EvmBlockRun {
  readonly input: EvmBlockInput;
  readonly vm: VM;
  /** The @ethereumjs block (header) the txs run in. */
  readonly header: Block;
  readonly sm: SpnStateManager;
}

/** What one tx of a block gave: its receipt, and runTx's result unless the tx was not included. */
export interface EvmTxStep {
  receipt: EvmReceipt;
  /** Absent when the tx could not be included (receipt with gasUsed 0 and `error`; no state change). */
  result?: RunTxResult;
  /**
   * Why it was not included: 'sender' (no sender: no other check applies), 'refused' (the
   * engine's inclusion checks or runTx refused it). Absent when included.
   */
  invalid?: 'sender' | 'refused';
}

/**
 * `getSenderAddress` hashes the sender's key on every call, and each execution calls it twice
 * (runBlockTx, runTx), a parallel worker may execute a tx several times (Block-STM
 * re-executions), and the executor's access-list keys need it too: the address is computed once
 * per decoded tx. A sender that cannot be recovered keeps throwing. Call before freezing the tx.
 */
export function cacheSenderAddress(tx: TypedTransaction): void {
  const keccak256 = tx.common.customCrypto.keccak256;
  // @ethereumjs hashes the key with @noble/hashes whatever the Common's crypto says (~26 µs
  // here, once per decoded tx: in a worker, once per tx per block): the same address from the
  // Common's keccak256 when it has one (keccak.ts). The key (cached, or ecrecover) and its checks
  // are @ethereumjs's own either way.
  const own = tx.getSenderAddress.bind(tx);
  const recover =
    keccak256 === undefined
      ? own
      : () => {
          const key = tx.getSenderPublicKey();
          return key.length === 64 ? new Address(keccak256(key).slice(12)) : own();
        };
  let address: Address | undefined;
  (tx as { getSenderAddress: () => Address }).getSenderAddress = () => (address ??= recover());
}

export interface DecodedEvmTx {
  tx: TypedTransaction;
  hash: string;
  from: string;
  nonce: bigint;
  gasLimit: bigint;
  /** maxFeePerGas of an EIP-1559 tx, gasPrice otherwise. */
  maxFeePerGas: bigint;
  type: number;
}

export interface EvmCallRequest {
  from?: string;
  to?: string | null;
  data?: string;
  value?: bigint;
  gas?: bigint;
  gasPrice?: bigint;
  /** EIP-2930 access list: its intrinsic gas is charged and its addresses and slots start warm. */
  accessList?: EvmAccessList;
}

/** An EIP-2930 access list: 0x addresses, each with 0x 32-byte storage slots. */
export type EvmAccessList = { address: string; storageKeys: string[] }[];

/** eth_createAccessList: the list a call touches and the gas it uses with that list. */
export interface EvmAccessListResult {
  accessList: EvmAccessList;
  gasUsed: bigint;
  /** Why the call failed with that list (it still lists what it touched). */
  error?: string;
}

/** Precompile addresses (0x01 ... 0x11 up to Prague): like the sender and the recipient, listed only with slots. */
const PRECOMPILES = new Set(Array.from({ length: 0x11 }, (_, i) => (i + 1).toString(16).padStart(40, '0')));

export interface EvmCallResult {
  success: boolean;
  returnData: string;
  /** What the call would have used as a transaction (intrinsic + execution - refund, EIP-7623 floor). */
  gasUsed: bigint;
  revertReason?: string;
  error?: string;
}

export interface EvmEngineOptions {
  chainId: bigint;
  /** One of SUPPORTED_HARDFORKS; default DEFAULT_HARDFORK. */
  hardfork?: string;
  /** Decoded txs remembered by raw bytes, so that the executor does not recover a sender ingress already recovered (0 disables). Default 10,000. */
  txCacheSize?: number;
  /**
   * Crypto overrides for @ethereumjs (e.g. `ecrecover` from the native `secp256k1` addon, ~15x the
   * default JS one: FIELD-NOTES). Used for tx senders and the ECRECOVER precompile alike. Without
   * a `keccak256` here, the engine uses hash-wasm's (keccak.ts), ~13x @noble/hashes' here.
   */
  customCrypto?: CustomCrypto;
}

const ZERO_BLOOM = '0x' + '00'.repeat(256);
const ZERO_HASH = '0x' + '00'.repeat(32);
const abi = AbiCoder.defaultAbiCoder();

const PANIC_CODES: Record<number, string> = {
  0x01: 'assertion failed',
  0x11: 'arithmetic underflow or overflow',
  0x12: 'division or modulo by zero',
  0x21: 'invalid enum value',
  0x22: 'invalid storage byte array',
  0x31: 'pop on empty array',
  0x32: 'array index out of bounds',
  0x41: 'out of memory',
  0x51: 'call to a zero-initialized function',
};

/** `Error(string)` -> the string; `Panic(uint256)` -> "panic 0x11 (arithmetic underflow or overflow)"; else undefined. */
export function decodeRevertReason(data: Uint8Array): string | undefined {
  if (data.length < 4) return undefined;
  const selector = hexOf(data.subarray(0, 4));
  try {
    if (selector === '0x08c379a0') return abi.decode(['string'], data.subarray(4))[0] as string;
    if (selector === '0x4e487b71') {
      const code = abi.decode(['uint256'], data.subarray(4))[0] as bigint;
      const what = PANIC_CODES[Number(code)];
      return `panic 0x${code.toString(16).padStart(2, '0')}${what ? ` (${what})` : ''}`;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** @ethereumjs error messages end with " (vm hf=... -> block ... -> tx ...)"; keep the reason. */
function cleanMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/ \((?:vm |block |tx |Common )[\s\S]*$/, '').trim();
}

/** Failures that are not the tx's: they propagate instead of becoming a receipt. */
function isHostError(err: unknown): boolean {
  return err instanceof EvmHostError || isDependencyAbort(err);
}

function hexData(hex: string | undefined, what: string): Uint8Array {
  if (hex === undefined || hex === '' || hex === '0x') return new Uint8Array(0);
  if (!/^0x([0-9a-fA-F]{2})*$/.test(hex)) throw new InvalidInputError(`${what} must be 0x-prefixed hex bytes`);
  return hexToBytes(hex as `0x${string}`);
}

function parseAddress(address: string, what: string): Address {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address))
    throw new InvalidInputError(`${what} must be a 0x-prefixed 20-byte hex address, got ${JSON.stringify(address)}`);
  return createAddressFromString(address);
}

/**
 * The @ethereumjs Common of an EVM SPN: mainnet parameters with the SPN's chain id, every
 * hardfork up to `hardfork` active from block 0 (so no mainnet fork-block rule, such as the
 * London initial base fee at block 12,965,000, ever applies at some SPN height).
 */
export function spnCommon(chainId: bigint, hardfork: string = DEFAULT_HARDFORK, customCrypto?: CustomCrypto): Common {
  const order = Object.values(Hardfork) as string[];
  const hardforks = order.slice(0, order.indexOf(hardfork) + 1).map((name) => ({ name, block: 0 }));
  return createCustomCommon({ name: `spn-${chainId}`, chainId: Number(chainId), hardforks }, Mainnet, {
    hardfork,
    ...(customCrypto ? { customCrypto } : {}),
  });
}

let feeCommon: Common | undefined;

/**
 * The Common a VM's block headers are made with: a copy of the VM's with @ethereumjs/block's
 * params merged in once, and its copies (each header takes one) skipping that merge, as
 * txDecodingCommon does for txs (parallel/evm-tx-engine.ts): a BlockHeader merges them into its
 * copy of the Common it is given (`updateParams`: a JSON copy of every EIP's params and a rebuild
 * of the params cache), ~75 µs a block here, ~0.3 ms in a busy worker, where an engine reuses
 * one VM for every block. The header's params are the same either way. Made anew if the VM's
 * hardfork changed.
 */
const blockCommons = new WeakMap<VM, { hardfork: string; common: Common }>();
function blockCommonOf(vm: VM): Common {
  const hardfork = vm.common.hardfork();
  const known = blockCommons.get(vm);
  if (known !== undefined && known.hardfork === hardfork) return known.common;
  const common = withBlockParams(vm.common.copy());
  blockCommons.set(vm, { hardfork, common });
  return common;
}

/**
 * `common` with @ethereumjs/block's params merged in, once: it and its copies skip the merge a
 * BlockHeader would do with them (see blockCommonOf).
 */
function withBlockParams(common: Common): Common {
  common.updateParams(paramsBlock);
  common.updateParams = () => {};
  return common;
}

/** `0x` and hex digits of either case (whole bytes are checked by length). */
const RAW_TX_HEX = /^0x[0-9a-fA-F]*$/;
/** `0x` and lowercase hex digits only: the tx cache's key as it is. */
const LOWER_HEX = /^0x[0-9a-f]*$/;

/**
 * The EVM engine of an EVM SPN: @ethereumjs/vm with a state manager over the SPN's state tree
 * (evm-state-manager.ts). Stateless between calls apart from caches (tree keys, code, decoded
 * txs), so blocks and JSON-RPC calls may use it concurrently: each run has its own VM.
 */
export class EvmEngine {
  private readonly keyCache = new EvmKeyCache();
  private readonly codeCache = new EvmCodeCache();
  private readonly txCache = new Map<string, DecodedEvmTx>();
  /**
   * The VM (and state manager) of the last block `runBlock` ran to the end, for the next one: a
   * new VM cost ~0.35-0.6 ms a block here (up to 1.7 ms), reusing one ~20 µs (medians of 200
   * `openBlock`s; the parallel engines reuse theirs the same way). Taken while a block runs, so
   * that a concurrent call makes its own; not put back after a throw (the VM may be mid-tx).
   */
  private spareBlockVm: { vm: VM; sm: SpnStateManager; code: CodeSource } | undefined;
  private readonly txCacheSize: number;
  private readonly txGasCap: bigint | undefined;

  private constructor(
    readonly chainId: bigint,
    readonly hardfork: string,
    /** The engine's @ethereumjs Common (chain id, hardfork); txs decoded for this engine use it. */
    readonly common: Common,
    txCacheSize: number,
  ) {
    this.txCacheSize = txCacheSize;
    // EIP-7825 (Osaka): no tx may ask for more than 2^24 gas.
    this.txGasCap = common.isActivatedEIP(7825) ? 16_777_216n : undefined;
  }

  static async create(options: EvmEngineOptions): Promise<EvmEngine> {
    const hardfork = options.hardfork ?? DEFAULT_HARDFORK;
    if (!SUPPORTED_HARDFORKS.includes(hardfork)) {
      throw new InvalidInputError(`hardfork "${hardfork}" is not supported; use one of ${SUPPORTED_HARDFORKS.join(', ')}`);
    }
    if (options.chainId <= 0n || options.chainId > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new InvalidInputError(`chain id must be a positive safe integer, got ${options.chainId}`);
    }
    // keccak256 from WebAssembly (keccak.ts) unless the caller brings its own; the interpreter
    // caches (interpreter-caches.ts) in this thread before any VM of this engine runs.
    const [keccak256] = await Promise.all([loadKeccak256(), installInterpreterCaches()]);
    const customCrypto: CustomCrypto = { keccak256, ...options.customCrypto };
    return new EvmEngine(
      options.chainId,
      hardfork,
      spnCommon(options.chainId, hardfork, customCrypto),
      options.txCacheSize ?? 10_000,
    );
  }

  /** Largest gas limit a single tx may have on this engine (EIP-7825 cap, else the block gas limit). */
  maxTxGas(blockGasLimit = DEFAULT_BLOCK_GAS_LIMIT): bigint {
    return this.txGasCap !== undefined && this.txGasCap < blockGasLimit ? this.txGasCap : blockGasLimit;
  }

  // --- transactions -----------------------------------------------------------------------

  /**
   * Decodes a raw signed tx (legacy with EIP-155 chain id, EIP-2930, EIP-1559) and checks what
   * needs no state: type, chain id, signature (incl. EIP-2 low s), sender, gas limit against
   * intrinsic gas (and the EIP-7623 floor) and the EIP-7825 cap. Throws InvalidInputError.
   */
  decodeRawTx(raw: Uint8Array): DecodedEvmTx {
    const key = this.txCacheSize > 0 ? hexOf(raw) : '';
    const cached = this.txCacheSize > 0 ? this.txCache.get(key) : undefined;
    if (cached) return cached;
    return this.decodeUncached(raw, key);
  }

  /**
   * `decodeRawTx` of a tx given as `0x` hex (as the mempool stores it; either case). A tx decoded
   * before comes from the cache by its text, without turning it into bytes and back into text
   * first (measured: a block's 200 cached ERC-20 transfers in 0.15 ms against 0.5 ms that way,
   * with the executor's old format check). Throws InvalidInputError for text that is not `0x`
   * and whole bytes of hex. The cache is looked up before the format check: every key in it is
   * lowercase `0x` hex of whole bytes, checked when it was decoded.
   */
  decodeRawTxHex(hex: string): DecodedEvmTx {
    const hit = this.txCacheSize > 0 ? this.txCache.get(hex) : undefined;
    if (hit) return hit;
    const lower = LOWER_HEX.test(hex);
    if (hex.length % 2 !== 0 || !(lower || RAW_TX_HEX.test(hex)))
      throw new InvalidInputError('a raw transaction must be 0x-prefixed hex of whole bytes');
    const key = lower ? hex : hex.toLowerCase();
    const cached = !lower && this.txCacheSize > 0 ? this.txCache.get(key) : undefined;
    if (cached) return cached;
    return this.decodeUncached(Buffer.from(key.slice(2), 'hex'), this.txCacheSize > 0 ? key : '');
  }

  /** Decodes and checks `raw` (see decodeRawTx); caches the result under `key` (its `hexOf`) when the cache is on. */
  private decodeUncached(raw: Uint8Array, key: string): DecodedEvmTx {
    if (raw.length === 0) throw new InvalidInputError('empty transaction');
    const type = raw[0] >= 0xc0 ? 0 : raw[0];
    if (!SUPPORTED_TX_TYPES.includes(type))
      throw new InvalidInputError(`transaction type ${type} is not supported (legacy, 1 = EIP-2930, 2 = EIP-1559)`);
    const chainId = rawChainId(raw, type);
    if (chainId === null)
      throw new InvalidInputError('legacy transaction without an EIP-155 chain id (replayable on any chain) is refused');
    if (chainId !== undefined && chainId !== this.chainId) {
      throw new InvalidInputError(`transaction chain id ${chainId} does not match this SPN's chain id ${this.chainId}`);
    }
    let tx: TypedTransaction;
    try {
      tx = createTxFromRLP(raw, { common: this.common, freeze: false });
    } catch (err) {
      const why = cleanMessage(err);
      throw new InvalidInputError(/signature/i.test(why) ? `bad signature: ${why}` : `malformed transaction: ${why}`);
    }
    cacheSenderAddress(tx);
    // Frozen as createTxFromRLP leaves it by default: @ethereumjs only uses `cache` (hash, sender key) on frozen txs.
    Object.freeze(tx);
    if ('chainId' in tx && tx.chainId !== this.chainId) {
      throw new InvalidInputError(`transaction chain id ${tx.chainId} does not match this SPN's chain id ${this.chainId}`);
    }
    if (type === 0 && !tx.supports(Capability.EIP155ReplayProtection)) {
      throw new InvalidInputError('legacy transaction without an EIP-155 chain id (replayable on any chain) is refused');
    }
    if (!tx.isSigned()) throw new InvalidInputError('transaction is not signed');
    let from: Address;
    try {
      from = tx.getSenderAddress();
      if (!tx.verifySignature()) throw new Error('Invalid Signature');
    } catch (err) {
      throw new InvalidInputError(`bad signature: ${cleanMessage(err)}`);
    }
    const minGas = getMinimumGasLimit(tx, from);
    if (tx.gasLimit < minGas)
      throw new InvalidInputError(`gas limit ${tx.gasLimit} is below the ${minGas} this transaction needs before execution`);
    if (this.txGasCap !== undefined && tx.gasLimit > this.txGasCap) {
      throw new InvalidInputError(`gas limit ${tx.gasLimit} exceeds the per-transaction cap of ${this.txGasCap} (EIP-7825)`);
    }
    const decoded: DecodedEvmTx = {
      tx,
      hash: hexOf(tx.hash()),
      from: hexOf(from.bytes),
      nonce: tx.nonce,
      gasLimit: tx.gasLimit,
      maxFeePerGas: 'maxFeePerGas' in tx ? tx.maxFeePerGas : tx.gasPrice,
      type,
    };
    if (this.txCacheSize > 0) {
      if (this.txCache.size >= this.txCacheSize) this.txCache.delete(this.txCache.keys().next().value!);
      this.txCache.set(key, decoded);
    }
    return decoded;
  }

  // --- blocks -----------------------------------------------------------------------------

  private async newVm(sm: SpnStateManager): Promise<VM> {
    return createVM({ common: this.common.copy(), stateManager: sm });
  }

  private makeBlock(input: EvmBlockInput, vm: VM): Block {
    return createBlock(
      {
        header: {
          number: input.number,
          timestamp: input.timestamp,
          baseFeePerGas: input.baseFeePerGas,
          gasLimit: input.gasLimit,
          coinbase: parseAddress(input.coinbase, 'coinbase'),
          parentHash: hexToBytes((/^0x[0-9a-fA-F]{64}$/.test(input.parentHash) ? input.parentHash : ZERO_HASH) as `0x${string}`),
        },
      },
      { common: blockCommonOf(vm), skipConsensusFormatValidation: true },
    );
  }

  /**
   * Runs the block's txs in order against committed state. A tx that cannot be included (nonce,
   * funds, fee below the base fee, gas over the block's remaining gas, sender with code) gets a
   * receipt with status 'reverted', gasUsed 0 and `error`, and changes nothing. Only a host
   * failure (EvmHostError: code missing from the code store) throws.
   */
  async runBlock(block: EvmBlockInput, txs: readonly TypedTransaction[], state: EvmStateReader, code: CodeSource): Promise<EvmBlockResult> {
    const spare = this.spareBlockVm?.code === code ? this.spareBlockVm : undefined;
    this.spareBlockVm = undefined;
    spare?.sm.reset(state, true);
    const sm = spare?.sm ?? new SpnStateManager(state, code, this.keyCache, this.codeCache);
    const run = await this.openBlock(block, sm, spare?.vm);
    const receipts: EvmReceipt[] = [];
    const blockBloom = new Bloom(undefined, run.vm.common);
    let cumulative = 0n;

    for (const tx of txs) {
      const { receipt, result } = await this.runBlockTx(run, tx, cumulative);
      if (result !== undefined) {
        cumulative += result.totalGasSpent;
        blockBloom.or(result.bloom);
      }
      receipts.push(receipt);
    }

    const { writes, newCode } = sm.diff();
    sm.publishCode(newCode);
    this.spareBlockVm = { vm: run.vm, sm, code };
    return { receipts, writes, newCode, gasUsed: cumulative, logsBloom: hexOf(blockBloom.bitvector) };
  }

  /**
   * A VM over `sm` and the @ethereumjs block of `block`, for `runBlockTx`. `vm`: the VM of an
   * earlier run over the same `sm` to reuse (creating one costs ~0.35-1 ms; a VM keeps nothing of
   * a tx once runTx returned, and the caller resets `sm`): `runBlock` block after block, and the
   * parallel engines, which run one tx at a time.
   */
  async openBlock(block: EvmBlockInput, sm: SpnStateManager, vm?: VM): Promise<EvmBlockRun> {
    if (vm !== undefined && vm.stateManager !== sm) throw new EvmHostError('openBlock: the VM to reuse runs over another state manager');
    vm ??= await this.newVm(sm);
    return { input: block, vm, header: this.makeBlock(block, vm), sm };
  }

  /**
   * One tx of a block, as `runBlock` runs each: the inclusion checks (with `cumulative`, the gas
   * the block's earlier txs used), runTx, the receipt (its cumulativeGasUsed is `cumulative` plus
   * this tx's gas). A tx that cannot be included gives a receipt with gasUsed 0 and `error`, and
   * changes nothing. Host failures (EvmHostError) and DependencyAbort propagate.
   */
  async runBlockTx(run: EvmBlockRun, tx: TypedTransaction, cumulative: bigint): Promise<EvmTxStep> {
    const from = safeSender(tx);
    const txHash = tx.isSigned() ? hexOf(tx.hash()) : ZERO_HASH;
    const to = tx.to === undefined ? null : hexOf(tx.to.bytes);
    const invalid = (kind: 'sender' | 'refused', error: string): EvmTxStep => ({
      receipt: {
        status: 'reverted',
        gasUsed: '0',
        cumulativeGasUsed: String(cumulative),
        effectiveGasPrice: '0',
        type: tx.type,
        logs: [],
        logsBloom: ZERO_BLOOM,
        contractAddress: null,
        error,
        from: from === undefined ? '0x' + '00'.repeat(20) : hexOf(from.bytes),
        to,
        txHash,
      },
      invalid: kind,
    });
    if (from === undefined) return invalid('sender', 'bad signature: sender cannot be recovered');
    const reason = this.precheck(tx, from, run.input, cumulative, run.sm);
    if (reason !== undefined) return invalid('refused', reason);
    let result: RunTxResult;
    try {
      result = await runTx(run.vm, { tx, block: run.header, skipBlockGasLimitValidation: true, blockGasUsed: cumulative });
    } catch (err) {
      if (isHostError(err)) throw err;
      return invalid('refused', cleanMessage(err));
    }
    return { receipt: this.receipt(tx, from, result, run.input.baseFeePerGas, cumulative + result.totalGasSpent, txHash, to), result };
  }

  /** Inclusion checks with clear reasons (runTx would throw on each, with a longer message). */
  private precheck(tx: TypedTransaction, from: Address, block: EvmBlockInput, cumulative: bigint, sm: SpnStateManager): string | undefined {
    const remaining = block.gasLimit - cumulative;
    if (tx.gasLimit > remaining) return `gas limit ${tx.gasLimit} exceeds the block's remaining gas ${remaining}`;
    const account = sm.peekAccount(from);
    const nonce = account?.nonce ?? 0n;
    if (tx.nonce < nonce) return `nonce too low: transaction nonce ${tx.nonce}, account nonce ${nonce}`;
    if (tx.nonce > nonce) return `nonce too high: transaction nonce ${tx.nonce}, account nonce ${nonce}`;
    const maxFee = 'maxFeePerGas' in tx ? tx.maxFeePerGas : tx.gasPrice;
    if (maxFee < block.baseFeePerGas) return `max fee per gas ${maxFee} is below the block's base fee ${block.baseFeePerGas}`;
    const cost = tx.gasLimit * maxFee + tx.value;
    const balance = account?.balance ?? 0n;
    if (balance < cost) return `insufficient funds for gas * price + value: balance ${balance}, needed ${cost}`;
    return undefined;
  }

  private receipt(
    tx: TypedTransaction,
    from: Address,
    result: RunTxResult,
    baseFee: bigint,
    cumulative: bigint,
    txHash: string,
    to: string | null,
  ): EvmReceipt {
    const exec = result.execResult;
    const error = exec.exceptionError?.error;
    const revertReason = error === 'revert' ? decodeRevertReason(exec.returnValue) : undefined;
    const effectiveGasPrice =
      'maxFeePerGas' in tx ? baseFee + min(tx.maxPriorityFeePerGas, tx.maxFeePerGas - baseFee) : (tx as { gasPrice: bigint }).gasPrice;
    const receipt: EvmReceipt = {
      status: error === undefined ? 'success' : 'reverted',
      gasUsed: String(result.totalGasSpent),
      cumulativeGasUsed: String(cumulative),
      effectiveGasPrice: String(effectiveGasPrice),
      type: tx.type,
      logs: (exec.logs ?? []).map(([address, topics, data]) => ({
        address: hexOf(address),
        topics: topics.map(hexOf),
        data: hexOf(data),
      })),
      logsBloom: hexOf(result.bloom.bitvector),
      contractAddress: tx.to === undefined ? hexOf(generateAddress(from.bytes, bigIntToBytes(tx.nonce))) : null,
      from: hexOf(from.bytes),
      to,
      txHash,
    };
    if (error !== undefined) receipt.error = error;
    if (revertReason !== undefined) receipt.revertReason = revertReason;
    return receipt;
  }

  /** EIP-1559 base fee of the block after `parent` (@ethereumjs/block's header logic). */
  static nextBaseFee(parent: { gasUsed: bigint; gasLimit: bigint; baseFeePerGas: bigint }): bigint {
    // With the block params merged once (withBlockParams): the header took ~140 µs a block without, ~75 with.
    feeCommon ??= withBlockParams(spnCommon(1n, Hardfork.London));
    const header = createBlockHeader(
      { number: 1n, gasLimit: parent.gasLimit, gasUsed: parent.gasUsed, baseFeePerGas: parent.baseFeePerGas },
      { common: feeCommon, skipConsensusFormatValidation: true },
    );
    return header.calcNextBaseFee();
  }

  // --- eth_call / eth_estimateGas -----------------------------------------------------------

  /**
   * eth_call against committed state: a message from `from` (default: the zero address), no
   * signature, nonce or fee checks; `gas` (default: the largest a tx may have) is the tx gas
   * limit, intrinsic gas included. `gasPrice` is only what GASPRICE reads: nothing is charged.
   * No write survives.
   */
  async call(req: EvmCallRequest, block: EvmBlockInput, state: EvmStateReader, code: CodeSource): Promise<EvmCallResult> {
    const { spent: _spent, ...result } = await this.runMessage(req, req.gas ?? this.maxTxGas(block.gasLimit), block, state, code);
    return result;
  }

  private async runMessage(
    req: EvmCallRequest,
    gas: bigint,
    block: EvmBlockInput,
    state: EvmStateReader,
    code: CodeSource,
    reportAccessList = false,
  ): Promise<EvmCallResult & { spent: bigint; accessList?: EvmAccessList }> {
    const caller = req.from ? parseAddress(req.from, 'from') : createZeroAddress();
    const to = req.to ? parseAddress(req.to, 'to') : undefined;
    const data = hexData(req.data, 'data');
    const value = req.value ?? 0n;
    if (value < 0n) throw new InvalidInputError('value must not be negative');
    const list = accessListOf(req.accessList);
    const asTx =
      list.length > 0
        ? createAccessList2930Tx({ to, data, value, gasLimit: gas, accessList: list as never }, { common: this.common })
        : createLegacyTx({ to, data, value, gasLimit: gas }, { common: this.common });
    const intrinsic = asTx.getIntrinsicGas();
    const minGas = getMinimumGasLimit(asTx, caller);
    if (gas < minGas) {
      return { success: false, returnData: '0x', gasUsed: gas, spent: gas, error: `intrinsic gas too low: gas ${gas}, needed ${minGas}` };
    }
    const sm = new SpnStateManager(state, code, this.keyCache, this.codeCache);
    const vm = await this.newVm(sm);
    const header = this.makeBlock(block, vm);
    const journal = vm.evm.journal;
    if (reportAccessList) journal.startReportingAccessList();
    for (const { address, storageKeys } of list) {
      journal.addAlwaysWarmAddress(address.slice(2), true);
      for (const slot of storageKeys) journal.addAlwaysWarmSlot(address.slice(2), slot.slice(2), true);
    }
    let exec;
    try {
      const res = await vm.evm.runCall({
        block: header,
        caller,
        origin: caller,
        to,
        data,
        value,
        gasLimit: gas - intrinsic,
        gasPrice: req.gasPrice ?? 0n,
      });
      exec = res.execResult;
    } catch (err) {
      if (isHostError(err)) throw err;
      return { success: false, returnData: '0x', gasUsed: gas, spent: gas, error: cleanMessage(err) };
    }
    const spent = intrinsic + exec.executionGasUsed;
    const refund = min(exec.gasRefund ?? 0n, spent / 5n);
    const used = spent - refund < minGas ? minGas : spent - refund;
    const error = exec.exceptionError?.error;
    const result: EvmCallResult & { spent: bigint; accessList?: EvmAccessList } = {
      success: error === undefined,
      returnData: hexOf(exec.returnValue),
      gasUsed: used,
      spent,
    };
    if (reportAccessList) {
      // As geth's access-list tracer: every touched slot; an address without slots unless it is the sender, the recipient or a precompile.
      const skip = new Set([caller.toString().slice(2), ...(to ? [to.toString().slice(2)] : []), ...PRECOMPILES]);
      result.accessList = [...(journal.accessList ?? new Map<string, Set<string>>())]
        .filter(([address, slots]) => slots.size > 0 || !skip.has(address))
        .map(([address, slots]) => ({
          address: '0x' + address,
          storageKeys: [...slots].map((slot) => '0x' + slot.padStart(64, '0')).sort(),
        }))
        .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    }
    if (error !== undefined) {
      result.error = error;
      const reason = error === 'revert' ? decodeRevertReason(exec.returnValue) : undefined;
      if (reason !== undefined) result.revertReason = reason;
    }
    return result;
  }

  /**
   * eth_estimateGas: the smallest tx gas limit at which the call succeeds, by binary search
   * between the gas it used when given the most (intrinsic + execution, before refunds) and that
   * most (`gas`, default the EIP-7825 cap or the block gas limit). The first probe is geth's
   * optimistic guess ((used before refunds + 2,300) * 64/63), which usually leaves a short search. A call that
   * fails even with the most gas throws InvalidInputError with the revert reason.
   */
  async estimateGas(req: EvmCallRequest, block: EvmBlockInput, state: EvmStateReader, code: CodeSource): Promise<bigint> {
    let hi = req.gas ?? this.maxTxGas(block.gasLimit);
    const first = await this.runMessage(req, hi, block, state, code);
    if (!first.success) {
      const why = first.revertReason ? `execution reverted: ${first.revertReason}` : (first.error ?? 'execution failed');
      throw new InvalidInputError(`gas estimation failed: ${why}`);
    }
    let lo = first.spent - 1n;
    const optimistic = ((first.spent + 2_300n) * 64n) / 63n;
    if (optimistic < hi) {
      if ((await this.runMessage(req, optimistic, block, state, code)).success) hi = optimistic;
      else lo = optimistic;
    }
    while (hi - lo > 1n) {
      const mid = (hi + lo) / 2n;
      if ((await this.runMessage(req, mid, block, state, code)).success) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  /**
   * eth_createAccessList, as geth does it: run the call, take what it touched as the list, run it
   * again with that list (its addresses and slots warm, its intrinsic gas charged), until the list
   * no longer changes (at most 5 runs). The gas used is that of the last run, with the list.
   * `req.accessList` is where the search starts.
   */
  async createAccessList(req: EvmCallRequest, block: EvmBlockInput, state: EvmStateReader, code: CodeSource): Promise<EvmAccessListResult> {
    const gas = req.gas ?? this.maxTxGas(block.gasLimit);
    let list = accessListOf(req.accessList);
    for (let run = 1; ; run++) {
      const r = await this.runMessage({ ...req, accessList: list }, gas, block, state, code, true);
      const same = JSON.stringify(r.accessList) === JSON.stringify(list);
      if (same || run === 5) {
        const out: EvmAccessListResult = { accessList: r.accessList!, gasUsed: r.gasUsed };
        if (!r.success) out.error = r.revertReason ? `execution reverted: ${r.revertReason}` : (r.error ?? 'execution failed');
        return out;
      }
      list = r.accessList!;
    }
  }

  // --- reads for JSON-RPC ---------------------------------------------------------------------

  getBalance(address: string, state: EvmStateReader): bigint {
    return this.reader(state).peekAccount(parseAddress(address, 'address'))?.balance ?? 0n;
  }

  getNonce(address: string, state: EvmStateReader): bigint {
    return this.reader(state).peekAccount(parseAddress(address, 'address'))?.nonce ?? 0n;
  }

  getStorageAt(address: string, slot: bigint, state: EvmStateReader): bigint {
    if (slot < 0n || slot >= 1n << 256n) throw new InvalidInputError('storage slot must be a 256-bit word');
    const key = new Uint8Array(32);
    const bytes = bigIntToBytes(slot);
    key.set(bytes, 32 - bytes.length);
    return this.reader(state).peekStorage(parseAddress(address, 'address'), key);
  }

  async getCode(address: string, state: EvmStateReader, code: CodeSource): Promise<Uint8Array> {
    return new SpnStateManager(state, code, this.keyCache, this.codeCache).getCode(parseAddress(address, 'address'));
  }

  private reader(state: EvmStateReader): SpnStateManager {
    return new SpnStateManager(state, NO_CODE, this.keyCache, this.codeCache);
  }
}

/**
 * The chain id a raw tx commits to, read before @ethereumjs parses it (its own mismatch errors
 * are unclear): typed txs carry it first, legacy ones in v (EIP-155). null: a legacy tx without
 * one; undefined: unreadable (the parser then reports the malformation).
 */
function rawChainId(raw: Uint8Array, type: number): bigint | null | undefined {
  try {
    const fields = decodeRlp(type === 0 ? raw : raw.subarray(1));
    if (!Array.isArray(fields)) return undefined;
    if (type !== 0) return typeof fields[0] === 'string' ? BigInt(fields[0] === '0x' ? 0 : fields[0]) : undefined;
    if (typeof fields[6] !== 'string') return undefined;
    const v = fields[6] === '0x' ? 0n : BigInt(fields[6]);
    if (v === 27n || v === 28n) return null;
    return v >= 35n ? (v - 35n) / 2n : undefined;
  } catch {
    return undefined;
  }
}

const NO_CODE: CodeSource = { get: async () => undefined };

/** An access list checked and normalised (lowercase, addresses 20 bytes, slots 32 bytes, sorted as createAccessList lists them). */
function accessListOf(list: EvmAccessList | undefined): EvmAccessList {
  if (list === undefined) return [];
  return list
    .map(({ address, storageKeys }) => {
      if (!/^0x[0-9a-fA-F]{40}$/.test(address))
        throw new InvalidInputError(`access list address must be 20 bytes of 0x hex, got ${JSON.stringify(address)}`);
      return {
        address: address.toLowerCase(),
        storageKeys: storageKeys
          .map((slot) => {
            if (!/^0x[0-9a-fA-F]{1,64}$/.test(slot))
              throw new InvalidInputError(`access list storage key must be up to 32 bytes of 0x hex, got ${JSON.stringify(slot)}`);
            return '0x' + slot.slice(2).toLowerCase().padStart(64, '0');
          })
          .sort(),
      };
    })
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function safeSender(tx: TypedTransaction): Address | undefined {
  try {
    return tx.getSenderAddress();
  } catch {
    return undefined;
  }
}

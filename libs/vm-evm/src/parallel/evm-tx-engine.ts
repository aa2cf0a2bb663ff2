/**
 * The EVM side of the parallel executor's contract (`@mesh/executor`): a TxEngine that runs one
 * tx of a block at a time against a TxStateView (Block-STM style; in a worker, no database) and
 * reports its writes and everything block assembly (`evm-block-assembly.ts`, main thread) needs.
 *
 * One VM per engine, kept across blocks (creating one costs ~1 ms), over one state manager that
 * starts over on each tx's view (`SpnStateManager.reset`), so `diff()` gives the tx's net writes
 * against what it read. Both `runBlock` and this engine run a tx through `EvmEngine.runBlockTx`.
 *
 * Fee recipient: every tx pays its priority fee to the block's coinbase, which would make all
 * txs conflict. So while a tx executes (up to the return of its top-level message) any access to
 * the coinbase account makes the result `serialOnly`; once the top-level message returned,
 * runTx's fee payment (get + put of the coinbase, and the EIP-161 cleanup that may delete it when
 * empty) is kept out of the state: the put is recorded as a balance delta (`EvmTxOutput.fee`)
 * that assembly adds to the coinbase's committed balance.
 */
import { AccessList2930Tx, createTxFromRLP, EOACode7702Tx, FeeMarket1559Tx, paramsTx, type TypedTransaction } from '@ethereumjs/tx';
import type { AccountFields, Common } from '@ethereumjs/common';
import type { EVMInterface, EVMResult, EVMRunCallOpts } from '@ethereumjs/evm';
import type { VM } from '@ethereumjs/vm';
import { Account, Address, bytesToUnprefixedHex, createAddressFromString, equalsBytes } from '@ethereumjs/util';
import {
  isDependencyAbort,
  type EngineHost,
  type TxEngine,
  type TxEngineFactory,
  type TxOutputCodec,
  type TxResult,
  type TxStateView,
} from '@mesh/executor';
import {
  cacheSenderAddress,
  DEFAULT_HARDFORK,
  EvmEngine,
  spnCommon,
  type DecodedEvmTx,
  type EvmBlockInput,
  type EvmBlockRun,
  type EvmReceipt,
} from '../evm-engine';
import type { AccountKeys } from '../evm-state-keys';
import { EvmCodeCache, EvmHostError, EvmKeyCache, SpnStateManager, type CodeSource, type EvmStateReader } from '../evm-state-manager';

/** Options of the pool's EVM engines (structured-cloneable). */
export interface EvmTxEngineOptions {
  chainId: bigint;
  /** One of SUPPORTED_HARDFORKS; default DEFAULT_HARDFORK. */
  hardfork?: string;
}

/**
 * One tx as the main side hands it to the engines: the decoded tx's fields (the engine rebuilds
 * it without decoding and validating it again), else the signed raw tx; and, when known, its
 * sender's key and hash.
 */
export interface EvmTxPayload {
  raw?: Uint8Array;
  fields?: EvmTxFields;
  /**
   * The sender's public key (64 bytes, uncompressed without the 0x04 prefix: what
   * `tx.getSenderPublicKey()` returns), when ingress recovered it already: the engine trusts it
   * and does not recover the sender again (~1 ms in JS).
   */
  senderPublicKey?: Uint8Array;
  /** The tx hash (keccak256 of `raw`), when known: spares the engine re-serializing and hashing the tx. */
  hash?: Uint8Array;
}

/** `TxResult.output` of the EVM engine: what block assembly needs of one tx. */
export interface EvmTxOutput {
  /**
   * The receipt as if the tx were the first of the block: its cumulativeGasUsed is its own gas
   * (assembly replaces it), and a tx refused for gas over the block's remaining gas was checked
   * against the whole block gas limit (assembly checks the real remaining gas).
   */
  receipt: EvmReceipt;
  /** Gas the tx adds to the block (runTx's totalGasSpent; 0 when not included). */
  gasUsed: bigint;
  /**
   * The receipt's logs bloom, when the tx has logs (for the block's bloom): its nonzero bytes as
   * index, value pairs (see bloomBits). A transfer's Transfer log sets at most 12 of its 256.
   */
  bloomBits?: number[];
  /** Not included: 'sender' (no sender recovered) or 'refused' (inclusion checks / runTx). */
  invalid?: 'sender' | 'refused';
  /** What the tx added to the coinbase's balance (its priority fee; 0 when not included). */
  fee: bigint;
  /** Accounts whose code hash the tx set (to deployed code): code-hash tree keys and hash. */
  deployments?: [codeHashHi: bigint, codeHashLo: bigint, hash: string][];
}

/** One EvmTxOutput as JSON: receipt, gasUsed, fee, invalid (0: none), deployments (0: none), bloomBits (0: none). */
type EncodedEvmOutput = [EvmReceipt, string, string, EvmTxOutput['invalid'] | 0, [string, string, string][] | 0, number[] | 0];

/**
 * The workers' outputs as one JSON text per message (libs/executor TxOutputCodec): the receipt as
 * it is (strings), the bigints as decimal strings, the bloom as its nonzero bytes (bloomBits).
 * Measured: 17 µs per tx to deserialise cloned outputs on the main thread (half of it the
 * receipt's 514-character bloom and the bloom bytes), ~6 µs parsed from JSON.
 */
export const txOutputCodec: TxOutputCodec = {
  encode: (outputs) =>
    JSON.stringify(
      (outputs as readonly EvmTxOutput[]).map((o): EncodedEvmOutput => [
        o.receipt,
        String(o.gasUsed),
        String(o.fee),
        o.invalid ?? 0,
        o.deployments?.map(([hi, lo, hash]) => [String(hi), String(lo), hash]) ?? 0,
        o.bloomBits ?? 0,
      ]),
    ),
  decode: (encoded) =>
    (JSON.parse(encoded as string) as EncodedEvmOutput[]).map(([receipt, gasUsed, fee, invalid, deployments, bloomBits]) => {
      const o: EvmTxOutput = { receipt, gasUsed: BigInt(gasUsed), fee: BigInt(fee) };
      if (invalid !== 0) o.invalid = invalid;
      if (bloomBits !== 0) o.bloomBits = bloomBits;
      if (deployments !== 0) o.deployments = deployments.map(([hi, lo, hash]) => [BigInt(hi), BigInt(lo), hash]);
      return o;
    }),
};

/** `txOutputCodec` under a name that can be re-exported next to other VMs' engines. */
export const evmTxOutputCodec = txOutputCodec;

/** `TxResult.shared` of the EVM engine: code the tx deployed, by keccak256 hash (content-addressed). */
export interface EvmTxShared {
  code: [hash: string, code: Uint8Array][];
}

/** `host.request` kind through which an engine asks the main side for committed code: arg = hash (0x hex), answer Uint8Array | undefined. */
export const EVM_CODE_REQUEST = 'evmCode';

/** What `TxResult.serialOnly` says when a tx touched the fee recipient during execution. */
export const SERIAL_COINBASE = 'tx touches the fee recipient';

/**
 * A decoded tx's own data fields (`to` as its bytes), in the order the tx has them: what its
 * class's constructor set after decoding and validating the raw tx. A worker rebuilds the tx
 * from them (`rebuildTx`) for less than a tenth of what decoding it again costs (measured: ~40 µs
 * per EIP-1559 transfer in a busy worker, ~6 % of its time per tx; serial execution reuses the
 * txs ingress decoded).
 */
export interface EvmTxFields {
  type: number;
  /** The fields' names, comma-separated (one string: a name per value costs more to serialise than the values). */
  names: string;
  values: unknown[];
}

/**
 * The tx classes whose instances `rebuildTx` rebuilds, by tx type. Others go as raw bytes: blob
 * txs (the SPN takes none), legacy txs (their constructor keeps a function: `keccakFunction`).
 */
const REBUILT_TYPES = new Map<number, object>([
  [1, AccessList2930Tx.prototype],
  [2, FeeMarket1559Tx.prototype],
  [4, EOACode7702Tx.prototype],
]);

/** Own fields a rebuilt tx gets from the engine (sent as null, to keep the fields' order). */
const ENGINE_FIELDS = new Set(['common', 'txOptions', 'cache']);

/** The fields of a decoded tx (see EvmTxFields), or undefined for a tx `rebuildTx` does not rebuild. */
export function evmTxFields(tx: TypedTransaction): EvmTxFields | undefined {
  if (Object.getPrototypeOf(tx) !== REBUILT_TYPES.get(tx.type)) return undefined;
  const names: string[] = [];
  const values: unknown[] = [];
  for (const name of Object.keys(tx)) {
    const value = (tx as unknown as Record<string, unknown>)[name];
    if (typeof value === 'function') {
      if (name === 'getSenderAddress') continue; // cacheSenderAddress's: the engine sets its own
      return undefined; // not data: decoding rebuilds it
    }
    names.push(name);
    if (ENGINE_FIELDS.has(name)) values.push(null);
    else if (value instanceof Address) values.push({ address: ownBytes(value.bytes) });
    else values.push(value instanceof Uint8Array ? ownBytes(value) : value);
  }
  return { type: tx.type, names: names.join(','), values };
}

/**
 * The tx `evmTxFields` took apart, as its class's constructor would have left it given `common`
 * (it keeps a copy) and `freeze: false`: same prototype, same own fields in the same order, an
 * empty cache.
 */
export function rebuildTx(fields: EvmTxFields, common: Common): TypedTransaction {
  const proto = REBUILT_TYPES.get(fields.type);
  if (proto === undefined) throw new EvmHostError(`tx type ${fields.type} cannot be rebuilt from its fields`);
  const tx = Object.create(proto) as Record<string, unknown>;
  const names = fieldNames(fields.names);
  if (names.length !== fields.values.length) throw new EvmHostError(`tx fields: ${names.length} names, ${fields.values.length} values`);
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const value = fields.values[i];
    if (name === 'cache') tx.cache = {};
    else if (name === 'common') tx.common = common.copy();
    else if (name === 'txOptions') tx.txOptions = { common, freeze: false };
    else tx[name] = isAddressField(value) ? new Address(value.address) : value;
  }
  return tx as unknown as TypedTransaction;
}

/** `EvmTxFields.names` split (a few shapes, one per tx type: cached). */
const splitNames = new Map<string, readonly string[]>();
function fieldNames(joined: string): readonly string[] {
  let names = splitNames.get(joined);
  if (names === undefined) {
    names = joined.split(',');
    if (splitNames.size < 64) splitNames.set(joined, names);
  }
  return names;
}

function isAddressField(value: unknown): value is { address: Uint8Array } {
  return typeof value === 'object' && value !== null && (value as { address?: unknown }).address instanceof Uint8Array;
}

/**
 * The payload of a decoded tx for the engines: its fields (see EvmTxFields), or its raw bytes
 * (`raw` if the caller has them, else re-serialized) for a tx type not rebuilt from fields, and
 * the sender key and hash if already computed (as `decodeRawTx` leaves them; this never recovers
 * or hashes anything).
 */
export function evmTxPayload(decoded: TypedTransaction | DecodedEvmTx, raw?: Uint8Array): EvmTxPayload {
  const tx = 'tx' in decoded ? decoded.tx : decoded;
  const fields = evmTxFields(tx);
  const payload: EvmTxPayload = fields ? { fields } : { raw: ownBytes(raw ?? tx.serialize()) };
  const { senderPubKey, hash } = tx.cache;
  if (senderPubKey !== undefined) payload.senderPublicKey = ownBytes(senderPubKey);
  if (hash !== undefined) payload.hash = ownBytes(hash);
  return payload;
}

/** A decoded tx, not a payload (a payload is plain data: no methods). */
function isDecodedTx(input: EvmTxInput): input is TypedTransaction {
  return typeof (input as TypedTransaction).serialize === 'function';
}

/** A block tx's payload for a worker (ParallelExecutorOptions.workerPayload): a decoded tx's (see evmTxPayload), a payload as it is. */
export function evmWorkerPayload(input: unknown): EvmTxPayload {
  return isDecodedTx(input as EvmTxInput) ? evmTxPayload(input as TypedTransaction) : (input as EvmTxPayload);
}

/**
 * A logs bloom's nonzero bytes as index, value pairs (EvmTxOutput.bloomBits). Block assembly ORs
 * them into the block's bloom. Measured per tx (Node 20, a transfer's bloom): the pairs are made
 * in ~0.2 µs and ORed in a few ns; the bytes took ~2 µs to rebuild from the receipt's hex on the
 * main thread, and ORing all 256 of them ~0.7 µs.
 */
export function bloomBits(bloom: Uint8Array): number[] {
  const bits: number[] = [];
  for (let i = 0; i < bloom.length; i++) if (bloom[i] !== 0) bits.push(i, bloom[i]);
  return bits;
}

/**
 * `bytes` in a buffer of its own size. postMessage copies a typed array's whole underlying
 * buffer, and small Node Buffers are views into an 8 KiB pool: 170 bytes of tx would cost 8 KiB
 * of copying (and garbage) per worker.
 */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}

/**
 * A Common for decoding txs only. Every decoded tx gets a copy of the Common it was decoded with
 * and merges @ethereumjs/tx's params into it (`updateParams`: a JSON copy of each EIP's params
 * and a rebuild of the params cache, ~3/4 of what createTxFromRLP costs). Here they are merged
 * once, and the copies skip the merge (an own property, which `Common.copy`'s Object.assign
 * carries over): they share a params cache equal to what the merge would build. Never given to
 * a VM (the VM and EVM merge their own params).
 */
function txDecodingCommon(engine: EvmEngine): Common {
  // The engine's crypto (its keccak256 for tx hashes).
  const common = spnCommon(engine.chainId, engine.hardfork, engine.common.customCrypto);
  common.updateParams(paramsTx);
  common.updateParams = () => {};
  return common;
}

export const createTxEngine: TxEngineFactory = (options, host) => EvmTxEngine.create(options as EvmTxEngineOptions, host);

const NO_VIEW: TxStateView = {
  get() {
    throw new EvmHostError('no tx is running');
  },
};

/**
 * The tx's view as the state manager reads it: notes any read of the coinbase account's keys
 * (every account access reads them first) and remembers a DependencyAbort, so that it propagates
 * even if something between the view and the engine caught it.
 */
class TxReader implements EvmStateReader {
  view: TxStateView = NO_VIEW;
  coinbaseRead = false;
  abort: unknown = undefined;

  constructor(public coinbase: AccountKeys) {}

  start(view: TxStateView): void {
    this.view = view;
    this.coinbaseRead = false;
    this.abort = undefined;
  }

  get(key: bigint): bigint {
    const c = this.coinbase;
    if (key === c.nonce || key === c.balanceLo || key === c.balanceHi || key === c.codeHashHi || key === c.codeHashLo) {
      this.coinbaseRead = true;
    }
    try {
      return this.view.get(key);
    } catch (err) {
      if (isDependencyAbort(err)) this.abort ??= err;
      throw err;
    }
  }
}

/**
 * The per-tx state manager: SpnStateManager over the tx's view, plus the fee phase. Once the
 * top-level message returned (and the coinbase was not touched before), the coinbase's account
 * is kept out of the state: reads give the account as the fee phase left it (none at first: no
 * field of it is observable there), a put records the balance, a delete (EIP-161 cleanup of an
 * empty coinbase) is ignored. The fee is the balance put minus the balance read (0).
 */
class TxStateManager extends SpnStateManager {
  private feePhase = false;
  private feeBalance: bigint | undefined;

  constructor(
    readonly reader: TxReader,
    code: CodeSource,
    keyCache: EvmKeyCache,
    codeCache: EvmCodeCache,
    private coinbase: Address,
  ) {
    super(reader, code, keyCache, codeCache);
  }

  /** A new block (and fee recipient): forgets the previous block's code too. */
  startBlock(coinbase: Address, keys: AccountKeys): void {
    this.coinbase = coinbase;
    this.reader.coinbase = keys;
    this.reader.start(NO_VIEW);
    this.reset(this.reader, true);
  }

  startTx(view: TxStateView): void {
    this.reader.start(view);
    this.reset(this.reader);
    this.feePhase = false;
    this.feeBalance = undefined;
  }

  /** The top-level message returned: what follows is runTx's fee payment and cleanup. */
  enterFeePhase(): void {
    // A coinbase the tx already touched stays in the state (the result is serialOnly anyway).
    this.feePhase = !this.reader.coinbaseRead;
  }

  get coinbaseTouched(): boolean {
    return this.reader.coinbaseRead;
  }

  /** What the tx paid the coinbase. */
  get fee(): bigint {
    return this.feeBalance ?? 0n;
  }

  private isFee(address: Address): boolean {
    return this.feePhase && equalsBytes(address.bytes, this.coinbase.bytes);
  }

  override getAccount(address: Address): Promise<Account | undefined> {
    if (this.isFee(address)) return Promise.resolve(this.feeBalance === undefined ? undefined : new Account(0n, this.feeBalance));
    return super.getAccount(address);
  }

  override putAccount(address: Address, account?: Account): Promise<void> {
    if (this.isFee(address)) {
      this.feeBalance = account?.balance ?? 0n;
      return Promise.resolve();
    }
    return super.putAccount(address, account);
  }

  override modifyAccountFields(address: Address, fields: AccountFields): Promise<void> {
    if (this.isFee(address)) {
      this.feeBalance = fields.balance ?? this.feeBalance ?? 0n;
      return Promise.resolve();
    }
    return super.modifyAccountFields(address, fields);
  }

  override deleteAccount(address: Address): Promise<void> {
    if (this.isFee(address)) return Promise.resolve();
    return super.deleteAccount(address);
  }
}

/**
 * A block's tx as the engine takes it: a payload (what a worker gets), or, in the thread that
 * decoded it, the decoded tx itself (the coordinator's own share runs it as it is).
 */
export type EvmTxInput = EvmTxPayload | TypedTransaction;

interface BlockState {
  input: EvmBlockInput;
  payloads: readonly EvmTxInput[];
  decoded: (TypedTransaction | undefined)[];
  run: EvmBlockRun;
}

/**
 * The worker-side EVM engine. Keeps between blocks only caches (tree keys, and code by hash:
 * committed code asked from the main side, code other txs of the block deployed) and its one VM
 * and state manager, which start over on every tx. One call at a time (as the executor drives
 * an engine): `beginBlock`, then `executeTx` for any txs of the block in any order, any number
 * of times each.
 */
export class EvmTxEngine implements TxEngine {
  private readonly keyCache = new EvmKeyCache();
  private readonly codeCache = new EvmCodeCache();
  private readonly code: CodeSource;
  /** Code txs of the current block deployed (from `receive`): not in committed state, so never asked from the host. */
  private readonly blockCode = new Map<string, Uint8Array>();
  private readonly txCommon: Common;
  private sm: TxStateManager | undefined;
  private vm: VM | undefined;
  private block: BlockState | undefined;

  private constructor(
    private readonly engine: EvmEngine,
    host: EngineHost,
  ) {
    this.txCommon = txDecodingCommon(engine);
    this.code = {
      get: async (hash) => {
        const shared = this.blockCode.get(hash);
        if (shared !== undefined) return shared;
        const code = await host.request(EVM_CODE_REQUEST, hash);
        if (code !== undefined && !(code instanceof Uint8Array))
          throw new EvmHostError(`code request for ${hash} answered with a non-byte value`);
        return code;
      },
    };
  }

  static async create(options: EvmTxEngineOptions, host: EngineHost): Promise<EvmTxEngine> {
    const engine = await EvmEngine.create({ chainId: options.chainId, hardfork: options.hardfork ?? DEFAULT_HARDFORK, txCacheSize: 0 });
    return new EvmTxEngine(engine, host);
  }

  async beginBlock(block: unknown, txs: readonly unknown[]): Promise<void> {
    const input = block as EvmBlockInput;
    const coinbase = createAddressFromString(input.coinbase);
    const keys = this.keyCache.account(bytesToUnprefixedHex(coinbase.bytes), coinbase.bytes);
    this.block = undefined;
    this.blockCode.clear();
    const sm = (this.sm ??= new TxStateManager(new TxReader(keys), this.code, this.keyCache, this.codeCache, coinbase));
    sm.startBlock(coinbase, keys);
    // One VM for all blocks (creating one costs ~1 ms): nothing of a tx stays in it.
    const run = await this.engine.openBlock(input, sm, this.vm);
    if (this.vm === undefined) {
      watchTopLevelCall(run.vm.evm, sm);
      this.vm = run.vm;
    }
    this.block = { input, payloads: txs as readonly EvmTxInput[], decoded: new Array(txs.length), run };
  }

  async executeTx(index: number, view: TxStateView): Promise<TxResult> {
    const block = this.block;
    const sm = this.sm;
    if (block === undefined || sm === undefined) throw new EvmHostError('executeTx before beginBlock');
    const tx = this.tx(block, index);
    const { run } = block;
    sm.startTx(view);
    let step;
    try {
      // Inclusion checks cannot know the gas of earlier txs here: checked against the whole block, assembly checks the rest.
      step = await this.engine.runBlockTx(run, tx, 0n);
    } catch (err) {
      this.recover(run);
      throw sm.reader.abort ?? err;
    }
    if (sm.reader.abort !== undefined) {
      this.recover(run);
      throw sm.reader.abort;
    }
    const { writes, newCode, deployments } = sm.diff();
    const output: EvmTxOutput = { receipt: step.receipt, gasUsed: step.result?.totalGasSpent ?? 0n, fee: sm.fee };
    if (step.invalid !== undefined) output.invalid = step.invalid;
    if (step.receipt.logs.length > 0 && step.result !== undefined) output.bloomBits = bloomBits(step.result.bloom.bitvector);
    if (deployments.length > 0) output.deployments = deployments.map((d) => [d.codeHashHi, d.codeHashLo, d.hash]);
    const result: TxResult = { writes, output };
    if (newCode.size > 0) result.shared = { code: [...newCode].map(([hash, code]) => [hash, ownBytes(code)]) } satisfies EvmTxShared;
    if (sm.coinbaseTouched) result.serialOnly = SERIAL_COINBASE;
    return result;
  }

  receive(shared: unknown): void {
    const code = (shared as EvmTxShared | undefined)?.code;
    if (code) for (const [hash, bytes] of code) this.blockCode.set(hash, bytes);
  }

  /** `payload` may carry the committed block's new code (`{ code: [hash, bytes][] }`): it is cached. */
  committed(payload: unknown): void {
    const code = (payload as EvmTxShared | undefined)?.code;
    if (code) for (const [hash, bytes] of code) this.codeCache.set(hash, bytes);
  }

  private tx(block: BlockState, index: number): TypedTransaction {
    let tx = block.decoded[index];
    if (tx !== undefined) return tx;
    const input = block.payloads[index];
    if (input === undefined) throw new EvmHostError(`tx ${index} is not in this block (${block.payloads.length} txs)`);
    // Decoded in this thread for this chain (by EvmEngine.decodeRawTx: frozen, its sender cached):
    // run it as runBlock would, instead of rebuilding it (~3 µs a tx, a Common copy included).
    // Otherwise (a worker's payload) it is rebuilt from its payload.
    const own = isDecodedTx(input) ? input : undefined;
    if (
      own !== undefined &&
      Object.isFrozen(own) &&
      own.common.chainId() === this.engine.chainId &&
      own.common.hardfork() === this.engine.hardfork
    )
      return (block.decoded[index] = own);
    const payload = isDecodedTx(input) ? evmTxPayload(input) : input;
    if (payload.fields !== undefined) tx = rebuildTx(payload.fields, this.txCommon);
    else if (payload.raw !== undefined)
      try {
        tx = createTxFromRLP(payload.raw, { common: this.txCommon, freeze: false });
      } catch (err) {
        throw new EvmHostError(`tx ${index} of the block does not decode: ${(err as Error).message}`);
      }
    else throw new EvmHostError(`tx ${index} of the block has neither fields nor raw bytes`);
    if (payload.senderPublicKey !== undefined) tx.cache.senderPubKey = payload.senderPublicKey;
    if (payload.hash !== undefined) tx.cache.hash = payload.hash;
    cacheSenderAddress(tx);
    // Frozen as createTxFromRLP would have left it: @ethereumjs only uses `cache` (hash, sender key) on frozen txs.
    Object.freeze(tx);
    block.decoded[index] = tx;
    return tx;
  }

  /**
   * After an execution was abandoned midway (DependencyAbort, host failure) the EVM may hold the
   * abandoned tx's transient storage (it is cleared only when a top-level message completes).
   * The journal is reset by runTx itself, the state manager by the next `startTx`.
   */
  private recover(run: EvmBlockRun): void {
    const evm = run.vm.evm as unknown as { transientStorage?: object };
    if (evm.transientStorage !== undefined) evm.transientStorage = new (evm.transientStorage.constructor as new () => object)();
  }
}

/**
 * Calls the state manager's `enterFeePhase` when the tx's top-level message returns. runTx's
 * call is the only one without `opts.message`: the interpreter's nested calls and creates pass
 * the message they built (@ethereumjs/evm 10.1.3, interpreter.ts `_baseCall` / `create`).
 */
function watchTopLevelCall(evm: EVMInterface, sm: TxStateManager): void {
  const runCall = evm.runCall.bind(evm);
  evm.runCall = (opts: EVMRunCallOpts): Promise<EVMResult> => {
    if (opts.message !== undefined) return runCall(opts);
    return runCall(opts).then((result) => {
      sm.enterFeePhase();
      return result;
    });
  };
}

/** This module's path: what the parallel executor's workers load (`createTxEngine`). */
export const EVM_TX_ENGINE_MODULE: string = __filename;

/**
 * npm run bench:wasm [-- --runs N --transfers N --accounts N]
 *
 * Token transfers per second through the Wasm runtime: the example token plugin
 * (libs/sdk-as/examples/token), prepared once with metering and once without, running the same
 * transfers from the same starting state. Each call is a full `execute` (instance reset to its fresh state,
 * argument encoding, host calls, writes applied to an in-memory state between calls). Runs
 * alternate metered / unmetered so that machine noise hits both; figures are medians.
 * The last line is one JSON object: meteredTps, unmeteredTps, ratio (metered / unmetered).
 */
import { readFileSync } from 'node:fs';
import { buildPlugin } from '@mesh/sdk-as';
import { CallContext, ExecutionResult, MemoryStorage, PreparedPlugin, WasmRuntime } from '@mesh/vm-wasm';
import { argValue } from '../scripts/cli-args';
import { median } from './support/median';

const address = (i: number) => '0x' + (i + 1).toString(16).padStart(40, '0');
const OWNER = '0x' + 'ab'.repeat(20);

interface Side {
  name: string;
  runtime: WasmRuntime;
  plugin: PreparedPlugin;
  state: MemoryStorage;
}

function setup(name: string, runtime: WasmRuntime, code: Uint8Array, accounts: number): Side {
  const plugin = runtime.prepare(code);
  const state = new MemoryStorage();
  const ctx = (caller: string): CallContext => ({ caller, blockHeight: 1n, blockTime: 1_700_000_000_000n, gasLimit: 10_000_000n });
  const must = (r: ExecutionResult) => {
    if (r.status !== 'success') throw new Error(`${name} setup failed: ${r.status} ${r.error}`);
    state.apply(r);
  };
  must(runtime.executeInit(plugin, [], ctx(OWNER), state));
  for (let i = 0; i < accounts; i++) must(runtime.execute(plugin, 'mint', [address(i), '1000000000'], ctx(OWNER), state));
  return { name, runtime, plugin, state };
}

/** One run: `transfers` transfers among the accounts, from a copy of the starting state. Returns seconds and total gas. */
function run(side: Side, transfers: number, accounts: number): { seconds: number; gas: bigint } {
  const state = side.state.clone();
  const ctxs: CallContext[] = Array.from({ length: accounts }, (_, i) => ({
    caller: address(i),
    blockHeight: 2n,
    blockTime: 1_700_000_001_000n,
    gasLimit: 1_000_000n,
  }));
  const targets = Array.from({ length: accounts }, (_, i) => address((i + 1) % accounts));
  let gas = 0n;
  const started = performance.now();
  for (let t = 0; t < transfers; t++) {
    const from = t % accounts;
    const result = side.runtime.execute(side.plugin, 'transfer', [targets[from], String(1 + (t % 7))], ctxs[from], state);
    if (result.status !== 'success') throw new Error(`${side.name} transfer ${t} failed: ${result.status} ${result.error}`);
    state.apply(result);
    gas += result.gasUsed;
  }
  return { seconds: (performance.now() - started) / 1000, gas };
}

async function main(): Promise<void> {
  const runs = Number(argValue(process.argv, 'runs') ?? 7);
  const transfers = Number(argValue(process.argv, 'transfers') ?? 20_000);
  const accounts = Number(argValue(process.argv, 'accounts') ?? 64);

  const built = await buildPlugin('libs/sdk-as/examples/token');
  const code = new Uint8Array(readFileSync(built.wasmPath));
  process.stderr.write(`[bench] token plugin: ${built.bytes} bytes, built in ${Math.round(built.ms)} ms\n`);

  const metered = setup('metered', new WasmRuntime(), code, accounts);
  const unmetered = setup('unmetered', new WasmRuntime({ metering: false }), code, accounts);
  // Warm-up: let V8 tier both modules up before measuring.
  run(metered, transfers, accounts);
  run(unmetered, transfers, accounts);

  const meteredTps: number[] = [];
  const unmeteredTps: number[] = [];
  let gasPerTransfer = 0n;
  for (let i = 0; i < runs; i++) {
    const m = run(metered, transfers, accounts);
    const u = run(unmetered, transfers, accounts);
    meteredTps.push(transfers / m.seconds);
    unmeteredTps.push(transfers / u.seconds);
    gasPerTransfer = m.gas / BigInt(transfers);
    process.stderr.write(
      `[bench] run ${i + 1}/${runs}: metered ${meteredTps[i].toFixed(0)} tx/s, unmetered ${unmeteredTps[i].toFixed(0)} tx/s\n`,
    );
  }

  const result = {
    meteredTps: Math.round(median(meteredTps)),
    unmeteredTps: Math.round(median(unmeteredTps)),
    ratio: Number((median(meteredTps) / median(unmeteredTps)).toFixed(3)),
  };
  console.log(`token transfers through WasmRuntime.execute, ${transfers} per run, ${accounts} accounts, median of ${runs} runs`);
  console.log(`metered      ${result.meteredTps} tx/s (${gasPerTransfer} gas per transfer)`);
  console.log(`unmetered    ${result.unmeteredTps} tx/s`);
  console.log(`ratio        ${result.ratio} (metered / unmetered; goal >= 0.7)`);
  console.log(JSON.stringify(result));
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:wasm failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

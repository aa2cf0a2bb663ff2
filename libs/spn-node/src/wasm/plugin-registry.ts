import type { PreparedPlugin, WasmRuntime } from '@mesh/vm-wasm';
import type { SqlRunner } from '@mesh/state';

export interface DeployedPlugin {
  name: string;
  plugin: PreparedPlugin;
  deployer: string;
  blockNo: bigint;
  txHash: string;
}

/** Plugins deployed on this SPN, loaded (already metered) from `spn_plugin` at start. */
export class PluginRegistry {
  private readonly plugins = new Map<string, DeployedPlugin>();

  constructor(
    private readonly runtime: WasmRuntime,
    readonly spnId: string,
  ) {}

  async load(db: SqlRunner): Promise<void> {
    const spnId = this.spnId;
    const rows: { name: string; code: Buffer; deployer: string; block_no: string; tx_hash: string }[] = await db.query(
      'SELECT name, code, deployer, block_no, tx_hash FROM spn_plugin WHERE spn_id = $1',
      [spnId],
    );
    for (const row of rows) {
      this.plugins.set(row.name, {
        name: row.name,
        plugin: this.runtime.load(new Uint8Array(row.code)),
        deployer: row.deployer,
        blockNo: BigInt(row.block_no),
        txHash: row.tx_hash,
      });
    }
  }

  get(name: string): DeployedPlugin | undefined {
    return this.plugins.get(name);
  }

  add(plugin: DeployedPlugin): void {
    this.plugins.set(plugin.name, plugin);
  }

  list(): DeployedPlugin[] {
    return [...this.plugins.values()];
  }
}

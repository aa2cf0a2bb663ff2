import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { parseAddress, PLUGIN_NAME, InvalidInputError } from '@mesh/core';
import { SpnNode, type WasmVm } from '@mesh/spn-node';
import { hashParam, intParam, onlyQuery } from './params';

/** REST ingress and reads of a Wasm SPN (plugins, plugin state): not served when VM=evm. */
@Controller()
export class WasmController {
  constructor(@Inject(SpnNode) private readonly node: SpnNode<WasmVm>) {}

  /** A signed plugin call: `{ chainId, spnId, call: {...}, signature }`. Stored before the answer. */
  @Post('tx')
  @HttpCode(202)
  async submitTx(@Body() body: unknown): Promise<{ hash: string; duplicate: boolean }> {
    const accepted = await this.node.vm.ingress.submitCall(body);
    this.node.accepted();
    return accepted;
  }

  /** A signed plugin deployment: `{ chainId, spnId, deploy: {...}, code: base64, signature }`. */
  @Post('plugins')
  @HttpCode(202)
  async deployPlugin(@Body() body: unknown): Promise<{ hash: string; duplicate: boolean }> {
    const accepted = await this.node.vm.ingress.submitDeploy(body);
    this.node.accepted();
    return accepted;
  }

  @Get('plugins')
  plugins(): { name: string; methods: string[]; deployer: string; block: string; codeHash: string }[] {
    return this.node.vm.plugins().map((p) => ({
      name: p.name,
      methods: p.plugin.methods,
      deployer: p.deployer,
      block: String(p.blockNo),
      codeHash: p.plugin.codeHash,
    }));
  }

  @Get('state/:plugin/:key')
  state(@Param('plugin') plugin: string, @Param('key') key: string) {
    if (!PLUGIN_NAME.test(plugin)) throw new InvalidInputError(`plugin must be a plugin name (got ${JSON.stringify(plugin)})`);
    if (key.length === 0 || Buffer.byteLength(key) > 64) throw new InvalidInputError('key must be 1 to 64 bytes');
    return this.node.queries.pluginState(plugin, key);
  }
}

/** The VM-independent REST reads of an SPN node (Wasm and EVM): transactions, blocks, batches, status. */
@Controller()
export class SpnController {
  constructor(@Inject(SpnNode) private readonly node: SpnNode) {}

  @Get('tx/:hash')
  tx(@Param('hash') hash: string) {
    return this.node.queries.tx(hashParam(hash));
  }

  @Get('accounts/:address')
  async account(@Param('address') address: string) {
    const parsed = parseAddress(address, 'address');
    return { address: parsed, nextNonce: String(await this.node.mempool.nextNonce(parsed)) };
  }

  @Get('blocks')
  blocks(@Query() query: Record<string, string>) {
    onlyQuery(query, ['limit', 'before']);
    const limit = intParam(query.limit, 'limit', { min: 1, max: 100, fallback: 20 });
    const before = query.before === undefined ? undefined : BigInt(intParam(query.before, 'before', { min: 1 }));
    return this.node.queries.blocks(limit, before);
  }

  @Get('blocks/:n')
  block(@Param('n') n: string) {
    return this.node.queries.block(BigInt(intParam(n, 'block number', { min: 1 })));
  }

  @Get('batches/:n')
  batch(@Param('n') n: string) {
    return this.node.queries.batch(BigInt(intParam(n, 'batch number', { min: 1 })));
  }

  @Get('status')
  async status() {
    const { spnId, chainId } = this.node.options;
    return {
      spnId,
      chainId,
      vm: this.node.vm.kind,
      operator: this.node.operatorAddress,
      ...(await this.node.queries.status()),
      execution: this.node.executionTotals(),
    };
  }
}

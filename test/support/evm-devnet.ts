import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { assertAppsBuilt, Devnet } from '@mesh/devnet';
import { createTestDatabase, type TestDatabase } from './test-database';

// solc ships no types; its standard-JSON interface is all the tests use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const solc = require('solc') as { compile(input: string): string };

/**
 * The ERC-20 the client tests deploy: Transfer events, reverts with reasons (`insufficient
 * balance`), a custom-error revert and a panic, so that clients' revert decoding is exercised.
 */
export const TEST_TOKEN_SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

contract TestToken {
    string public name;
    string public symbol;
    uint8 public constant decimals = 18;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);
    error Unauthorized(address caller);

    constructor(string memory name_, string memory symbol_, uint256 supply) {
        name = name_;
        symbol = symbol_;
        totalSupply = supply;
        balanceOf[msg.sender] = supply;
        emit Transfer(address(0), msg.sender, supply);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        require(balanceOf[msg.sender] >= value, "insufficient balance");
        unchecked { balanceOf[msg.sender] -= value; }
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        require(allowance[from][msg.sender] >= value, "insufficient allowance");
        require(balanceOf[from] >= value, "insufficient balance");
        allowance[from][msg.sender] -= value;
        balanceOf[from] -= value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
        return true;
    }

    function onlyNobody() external view {
        revert Unauthorized(msg.sender);
    }

    function divide(uint256 a, uint256 b) external pure returns (uint256) {
        return a / b;
    }
}
`;

export interface CompiledContract {
  abi: unknown[];
  bytecode: `0x${string}`;
}

let compiled: CompiledContract | undefined;

/** TestToken compiled with the solc npm package (standard JSON, no download); cached per process. */
export function compileTestToken(): CompiledContract {
  if (compiled) return compiled;
  const input = {
    language: 'Solidity',
    sources: { 'TestToken.sol': { content: TEST_TOKEN_SOURCE } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'cancun',
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const c = output.contracts['TestToken.sol'].TestToken;
  compiled = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
  return compiled;
}

export interface EvmDevnetFixture {
  devnet: Devnet;
  /** The EVM SPN's JSON-RPC URL (`<url>/rpc`). */
  rpcUrl: string;
  spnUrl: string;
  chainId: number;
  testDb: TestDatabase;
  stop(): Promise<void>;
}

export const EVM_SPN_ID = 'evm-1';

/** Mainnet + one EVM SPN (default genesis: the test mnemonic's 10 accounts) as separate processes on a fresh test database. */
export async function startEvmDevnet(spnEnv: Record<string, string> = {}, chainId = 31337): Promise<EvmDevnetFixture> {
  assertAppsBuilt();
  const testDb = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'mesh-evm-devnet-'));
  chmodSync(dataDir, 0o755);
  let devnet: Devnet | undefined;
  try {
    devnet = await Devnet.start({
      databaseUrl: testDb.url,
      dataDir,
      chainId,
      logLevel: 'log',
      mainnetEnv: { MAINNET_BLOCK_MS: '500' },
      spns: [{ spnId: EVM_SPN_ID, vm: 'evm', env: { BLOCK_TIME_MS: '100', BATCH_BLOCKS: '20', BATCH_MAX_MS: '3000', ...spnEnv } }],
    });
    const started = devnet;
    const spnUrl = started.node(EVM_SPN_ID).url;
    return {
      devnet: started,
      rpcUrl: `${spnUrl}/rpc`,
      spnUrl,
      chainId,
      testDb,
      async stop() {
        await started.stop();
        await testDb.drop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await devnet?.stop();
    await testDb.drop();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** True when Hardhat (2.x, with @nomicfoundation/hardhat-ethers) is installed in the repository. */
export function hardhatInstalled(): boolean {
  try {
    require.resolve('hardhat/package.json');
    require.resolve('@nomicfoundation/hardhat-ethers/package.json');
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes a plain Hardhat 2 project (config, a contract, a deploy-and-call script) into `dir`,
 * pointed at an SPN's JSON-RPC URL, with the repository's node_modules linked in. Hardhat
 * downloads compilers from binaries.soliditylang.org, which is not reachable here: the config
 * makes it compile with the solcjs of the `solc` npm package instead (the documented
 * TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD override), which changes nothing else.
 */
export function writeHardhatProject(dir: string, rpcUrl: string, chainId: number, privateKey: string): void {
  mkdirSync(join(dir, 'contracts'), { recursive: true });
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  symlinkSync(resolve(__dirname, '../../node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'mesh-hardhat-check', private: true }));
  writeFileSync(
    join(dir, 'hardhat.config.js'),
    `const { subtask } = require('hardhat/config');
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require('hardhat/builtin-tasks/task-names');
require('@nomicfoundation/hardhat-ethers');

// Offline: the solcjs of node_modules instead of a downloaded compiler.
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args, hre, runSuper) => {
  const solc = require('solc');
  if (args.solcVersion !== solc.version().split('+')[0]) return runSuper();
  return { compilerPath: require.resolve('solc/soljson.js'), isSolcJs: true, version: args.solcVersion, longVersion: solc.version() };
});

module.exports = {
  solidity: { version: require('solc').version().split('+')[0], settings: { evmVersion: 'cancun' } },
  networks: { mesh: { url: ${JSON.stringify(rpcUrl)}, chainId: ${chainId}, accounts: [${JSON.stringify(privateKey)}] } },
};
`,
  );
  writeFileSync(
    join(dir, 'contracts', 'Greeter.sol'),
    `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

contract Greeter {
    string private greeting;
    event Greeted(address indexed by, string greeting);

    constructor(string memory greeting_) { greeting = greeting_; }

    function greet() external view returns (string memory) { return greeting; }

    function setGreeting(string memory greeting_) external {
        require(bytes(greeting_).length > 0, "empty greeting");
        greeting = greeting_;
        emit Greeted(msg.sender, greeting_);
    }
}
`,
  );
  writeFileSync(
    join(dir, 'scripts', 'deploy.js'),
    `const hre = require('hardhat');

async function main() {
  const greeter = await hre.ethers.deployContract('Greeter', ['hello']);
  await greeter.waitForDeployment();
  const out = { address: await greeter.getAddress(), before: await greeter.greet() };
  const receipt = await (await greeter.setGreeting('hola')).wait();
  out.status = receipt.status;
  out.events = receipt.logs.map((l) => greeter.interface.parseLog(l).args.greeting);
  out.after = await greeter.greet();
  try {
    await greeter.setGreeting('');
    out.revert = null;
  } catch (e) {
    out.revert = e.message;
  }
  console.log('RESULT ' + JSON.stringify(out));
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
`,
  );
}

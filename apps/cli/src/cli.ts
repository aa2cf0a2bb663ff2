import type { CliIo } from './cli-io';
import { UsageError } from './cli-io';
import { DEVNET_USAGE, devnetCommand } from './commands/devnet';
import { MESSAGE_USAGE, messageCommand } from './commands/message';
import { SPN_USAGE, spnCommand } from './commands/spn';
import { ACCOUNT_USAGE, accountCommand, STAKE_USAGE, stakeCommand } from './commands/stake';
import { STATUS_USAGE, statusCommand } from './commands/status';
import { PLUGIN_USAGE, pluginCommand, STATE_USAGE, stateCommand, TX_USAGE, txCommand } from './commands/wasm-tx';
import { describeFailure } from './failures';

const COMMANDS: Record<string, { run: (argv: string[], io: CliIo) => Promise<number>; usage: string }> = {
  status: { run: statusCommand, usage: STATUS_USAGE },
  spn: { run: spnCommand, usage: SPN_USAGE },
  plugin: { run: pluginCommand, usage: PLUGIN_USAGE },
  tx: { run: txCommand, usage: TX_USAGE },
  state: { run: stateCommand, usage: STATE_USAGE },
  stake: { run: stakeCommand, usage: STAKE_USAGE },
  account: { run: accountCommand, usage: ACCOUNT_USAGE },
  message: { run: messageCommand, usage: MESSAGE_USAGE },
  devnet: { run: devnetCommand, usage: DEVNET_USAGE },
};

export const USAGE = `mesh: the Rollup Mesh command line

${Object.values(COMMANDS)
  .map((c) => c.usage)
  .join('\n\n')}

Nodes: --mainnet / MESH_MAINNET_URL (default http://127.0.0.1:8080), --spn / MESH_SPN_URL
(default http://127.0.0.1:8081). --json prints what the node answered. mesh <command> --help.
Exit codes: 0 done, 1 refused or failed (the reason on stderr), 2 bad usage.
`;

/** Runs one `mesh` command line; resolves with the exit code. Never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`mesh: unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      const usage = err.command ? COMMANDS[err.command.split(' ')[0]]?.usage : undefined;
      io.err(`mesh ${name}: ${err.message}\n${usage ? `\n${usage}\n` : ''}`);
      return 2;
    }
    io.err(`mesh ${name}: ${describeFailure(err)}\n`);
    return 1;
  }
}

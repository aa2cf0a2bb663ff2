import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { findFreePort } from '@mesh/persistence';
import { NodeProcess, type NodeProcessOptions } from './node-process';
import { devAccount } from './dev-accounts';

export interface DevnetOptions {
  /** Use this Postgres server; otherwise an embedded one runs as a process of its own under dataDir. */
  databaseUrl?: string;
  dataDir: string;
  /** HTTP ports (0: any free port). */
  mainnetPort?: number;
  spnPort?: number;
  /** Mainnet microservice (TCP) port; a free one when unset. */
  mainnetTcpPort?: number;
  spnId?: string;
  chainId?: number;
  /** Extra environment for the SPN (BLOCK_TIME_MS, BATCH_BLOCKS, ...). */
  spnEnv?: Record<string, string>;
  mainnetEnv?: Record<string, string>;
  logLevel?: string;
  onLine?: NodeProcessOptions['onLine'];
}

/**
 * A local network as separate processes: (embedded) PostgreSQL, the mainnet, and one Wasm SPN
 * whose operator is dev account 0. Used by `npm start`, the demo, benchmarks and e2e tests.
 */
export class Devnet {
  private constructor(
    readonly options: DevnetOptions,
    readonly databaseUrl: string,
    readonly postgres: NodeProcess | undefined,
    public mainnet: NodeProcess,
    public spn: NodeProcess,
    public mainnetUrl: string,
    public spnUrl: string,
    readonly mainnetTcpPort: number,
  ) {}

  get spnId(): string {
    return this.options.spnId ?? 'wasm-1';
  }

  get chainId(): number {
    return this.options.chainId ?? 4242;
  }

  static async start(options: DevnetOptions): Promise<Devnet> {
    mkdirSync(options.dataDir, { recursive: true });
    let postgres: NodeProcess | undefined;
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      postgres = new NodeProcess('postgres', {}, { onLine: prefixed('postgres', options.onLine) }, [resolve(options.dataDir, 'pgdata')]);
      databaseUrl = await postgres.waitForOutput(/postgres ready at (\S+)/);
    }
    const tcpPort = options.mainnetTcpPort ?? (await findFreePort('127.0.0.1'));
    const partial = { options, databaseUrl, postgres, tcpPort };
    const mainnet = Devnet.spawnMainnet(partial);
    const mainnetUrl = await mainnet.listeningUrl();
    const spn = Devnet.spawnSpn(partial);
    const spnUrl = await spn.listeningUrl();
    return new Devnet(options, databaseUrl, postgres, mainnet, spn, mainnetUrl, spnUrl, tcpPort);
  }

  private static spawnMainnet(d: { options: DevnetOptions; databaseUrl: string; tcpPort: number }): NodeProcess {
    return new NodeProcess(
      'mainnet',
      {
        PORT: String(d.options.mainnetPort ?? 0),
        DATABASE_URL: d.databaseUrl,
        MAINNET_TCP_PORT: String(d.tcpPort),
        CHAIN_ID: String(d.options.chainId ?? 4242),
        LOG_LEVEL: d.options.logLevel ?? 'log',
        ...d.options.mainnetEnv,
      },
      { onLine: prefixed('mainnet', d.options.onLine) },
    );
  }

  private static spawnSpn(d: { options: DevnetOptions; databaseUrl: string; tcpPort: number }): NodeProcess {
    return new NodeProcess(
      'spn',
      {
        PORT: String(d.options.spnPort ?? 0),
        DATABASE_URL: d.databaseUrl,
        SPN_ID: d.options.spnId ?? 'wasm-1',
        CHAIN_ID: String(d.options.chainId ?? 4242),
        MAINNET_TCP_PORT: String(d.tcpPort),
        OPERATOR_KEY: devAccount(0).privateKey,
        LOG_LEVEL: d.options.logLevel ?? 'log',
        HOME: process.env.HOME ?? '',
        ...(process.env.MESH_CACHE_DIR ? { MESH_CACHE_DIR: process.env.MESH_CACHE_DIR } : {}),
        ...d.options.spnEnv,
      },
      { onLine: prefixed('spn', d.options.onLine) },
    );
  }

  /** Kills the SPN (SIGKILL) and starts it again on the same port. */
  async restartSpn(how: 'kill' | 'stop' = 'kill'): Promise<void> {
    await (how === 'kill' ? this.spn.kill() : this.spn.stop());
    const port = new URL(this.spnUrl).port;
    this.spn = Devnet.spawnSpn({
      options: { ...this.options, spnPort: Number(port) },
      databaseUrl: this.databaseUrl,
      tcpPort: this.mainnetTcpPort,
    });
    this.spnUrl = await this.spn.listeningUrl();
  }

  /** Kills the mainnet (SIGKILL) and starts it again on the same ports. */
  async restartMainnet(how: 'kill' | 'stop' = 'kill'): Promise<void> {
    await (how === 'kill' ? this.mainnet.kill() : this.mainnet.stop());
    const port = new URL(this.mainnetUrl).port;
    this.mainnet = Devnet.spawnMainnet({
      options: { ...this.options, mainnetPort: Number(port) },
      databaseUrl: this.databaseUrl,
      tcpPort: this.mainnetTcpPort,
    });
    this.mainnetUrl = await this.mainnet.listeningUrl();
  }

  /** Stops the SPN, then the mainnet, then PostgreSQL. */
  async stop(): Promise<void> {
    await this.spn.stop();
    await this.mainnet.stop();
    await this.postgres?.stop();
  }
}

function prefixed(name: string, onLine: NodeProcessOptions['onLine']): NodeProcessOptions['onLine'] {
  return onLine ? (line, stream) => onLine(`[${name}] ${line}`, stream) : undefined;
}

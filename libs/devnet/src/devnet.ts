import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { findFreePort } from '@mesh/persistence';
import { NodeProcess, type NodeProcessOptions } from './node-process';
import { devAccount, devAccounts } from './dev-accounts';

/** One SPN of a devnet. */
export interface DevnetSpnOptions {
  spnId: string;
  vm: 'wasm' | 'evm';
  /** HTTP port (0 or unset: any free port). */
  port?: number;
  /** Extra environment (BLOCK_TIME_MS, BATCH_BLOCKS, EVM_CHAIN_ID, ...). */
  env?: Record<string, string>;
  /**
   * Prover processes (apps/prover) of this SPN; when set, the SPN itself runs with PROVERS=0
   * (unless `env` says otherwise) and they prove its batches.
   */
  provers?: number;
  /** Extra environment of its prover processes (PROVERS, PROVER_LEASE_MS, ...). */
  proverEnv?: Record<string, string>;
}

export interface DevnetOptions {
  /** Use this Postgres server; otherwise an embedded one runs as a process of its own under dataDir. */
  databaseUrl?: string;
  dataDir: string;
  /** Mainnet HTTP port (0 or unset: any free port). */
  mainnetPort?: number;
  /** Mainnet microservice (TCP) port; a free one when unset. */
  mainnetTcpPort?: number;
  /** Mainnet gRPC admin API port; a free one when unset. */
  mainnetGrpcPort?: number;
  /** Mesh chain id (signing domain of Wasm txs and settlements). */
  chainId?: number;
  /** The SPNs; default one Wasm SPN `wasm-1`. */
  spns?: DevnetSpnOptions[];
  /** Shorthands for the first SPN when `spns` is unset. */
  spnPort?: number;
  spnEnv?: Record<string, string>;
  /** Prover processes of the first SPN when `spns` is unset (DevnetSpnOptions.provers). */
  spnProvers?: number;
  spnProverEnv?: Record<string, string>;
  mainnetEnv?: Record<string, string>;
  logLevel?: string;
  onLine?: NodeProcessOptions['onLine'];
}

/** A running SPN of the devnet. */
export interface DevnetSpn {
  readonly options: DevnetSpnOptions;
  process: NodeProcess;
  url: string;
  /** Its prover processes (DevnetSpnOptions.provers). */
  provers: NodeProcess[];
}

/**
 * A local network as separate processes: (embedded) PostgreSQL, the mainnet, and SPNs (one Wasm
 * SPN by default) whose operator is dev account 0. Used by `npm start`, the demo, benchmarks and
 * e2e tests; it can kill -9 and restart any of its nodes.
 */
export class Devnet {
  private constructor(
    readonly options: DevnetOptions,
    readonly databaseUrl: string,
    readonly postgres: NodeProcess | undefined,
    public mainnet: NodeProcess,
    public mainnetUrl: string,
    readonly mainnetTcpPort: number,
    readonly mainnetGrpcPort: number,
    readonly spns: DevnetSpn[],
  ) {}

  get chainId(): number {
    return this.options.chainId ?? 4242;
  }

  /** The first SPN (the Wasm one by default). */
  get spn(): NodeProcess {
    return this.spns[0].process;
  }

  get spnUrl(): string {
    return this.spns[0].url;
  }

  get spnId(): string {
    return this.spns[0].options.spnId;
  }

  /** The SPN with this id. */
  node(spnId: string): DevnetSpn {
    const found = this.spns.find((s) => s.options.spnId === spnId);
    if (!found) throw new Error(`the devnet has no SPN ${spnId}`);
    return found;
  }

  static async start(options: DevnetOptions): Promise<Devnet> {
    mkdirSync(options.dataDir, { recursive: true });
    let postgres: NodeProcess | undefined;
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      // A process group of its own: a terminal's Ctrl-C (sent to its whole foreground group) would
      // otherwise shut the server down at once, under the nodes still stopping (they log errors
      // from the connections it closes). `stop()` stops it last; it stops itself if this process dies.
      postgres = new NodeProcess('postgres', {}, { ...processOptions('postgres', options), ownProcessGroup: true }, [
        resolve(options.dataDir, 'pgdata'),
      ]);
      databaseUrl = await postgres.waitForOutput(/postgres ready at (\S+)/);
    }
    const tcpPort = options.mainnetTcpPort ?? (await findFreePort('127.0.0.1'));
    const grpcPort = options.mainnetGrpcPort ?? (await findFreePort('127.0.0.1'));
    const mainnet = spawnMainnet(options, databaseUrl, { tcp: tcpPort, grpc: grpcPort, http: options.mainnetPort ?? 0 });
    const stopAll = async () => {
      await mainnet.stop();
      await postgres?.stop();
    };
    let mainnetUrl: string;
    try {
      mainnetUrl = await mainnet.listeningUrl();
    } catch (err) {
      await stopAll();
      throw err;
    }
    const specs = options.spns ?? [
      {
        spnId: 'wasm-1',
        vm: 'wasm' as const,
        port: options.spnPort,
        env: options.spnEnv,
        provers: options.spnProvers,
        proverEnv: options.spnProverEnv,
      },
    ];
    const spns: DevnetSpn[] = [];
    try {
      for (const spec of specs) {
        const process = spawnSpn(options, databaseUrl, tcpPort, spec, spec.port ?? 0);
        const spn: DevnetSpn = { options: spec, process, url: '', provers: [] };
        spns.push(spn);
        spn.url = await process.listeningUrl();
        for (let i = 0; i < (spec.provers ?? 0); i++) spn.provers.push(await startProver(options, databaseUrl, spec, i));
      }
    } catch (err) {
      await Promise.all(spns.map((s) => stopSpn(s)));
      await stopAll();
      throw err;
    }
    return new Devnet(options, databaseUrl, postgres, mainnet, mainnetUrl, tcpPort, grpcPort, spns);
  }

  /** Kills (SIGKILL, or stops) an SPN and starts it again on the same port. */
  async restartSpn(how: 'kill' | 'stop' = 'kill', spnId = this.spnId): Promise<void> {
    const spn = this.node(spnId);
    await (how === 'kill' ? spn.process.kill() : spn.process.stop());
    spn.process = spawnSpn(this.options, this.databaseUrl, this.mainnetTcpPort, spn.options, Number(new URL(spn.url).port));
    spn.url = await spn.process.listeningUrl();
  }

  /** Kills (SIGKILL, or stops) prover process `index` of an SPN and starts it again. */
  async restartProver(how: 'kill' | 'stop' = 'kill', spnId = this.spnId, index = 0): Promise<void> {
    const spn = this.node(spnId);
    const prover = spn.provers[index];
    if (!prover) throw new Error(`SPN ${spnId} has no prover process ${index}`);
    await (how === 'kill' ? prover.kill() : prover.stop());
    spn.provers[index] = await startProver(this.options, this.databaseUrl, spn.options, index);
  }

  /** Kills (SIGKILL, or stops) the mainnet and starts it again on the same ports. */
  async restartMainnet(how: 'kill' | 'stop' = 'kill'): Promise<void> {
    await (how === 'kill' ? this.mainnet.kill() : this.mainnet.stop());
    this.mainnet = spawnMainnet(this.options, this.databaseUrl, {
      tcp: this.mainnetTcpPort,
      grpc: this.mainnetGrpcPort,
      http: Number(new URL(this.mainnetUrl).port),
    });
    this.mainnetUrl = await this.mainnet.listeningUrl();
  }

  /** Stops the SPNs (their provers first), then the mainnet, then PostgreSQL. */
  async stop(): Promise<void> {
    await Promise.all(this.spns.map((s) => stopSpn(s)));
    await this.mainnet.stop();
    await this.postgres?.stop();
  }
}

/** The devnet mainnet's genesis allocation: 1,000,000 x 10^18 base units to each of the 10 dev accounts (public keys: test funds only). */
export const DEVNET_GENESIS_BALANCES = devAccounts(10)
  .map((a) => `${a.address}=${10n ** 24n}`)
  .join(',');

/** Unbonding on the devnet waits one minute (a real mainnet's default is 7 days). */
export const DEVNET_UNBONDING_MS = 60_000;

function spawnMainnet(options: DevnetOptions, databaseUrl: string, ports: { http: number; tcp: number; grpc: number }): NodeProcess {
  return new NodeProcess(
    'mainnet',
    {
      PORT: String(ports.http),
      DATABASE_URL: databaseUrl,
      MAINNET_TCP_PORT: String(ports.tcp),
      MAINNET_GRPC_PORT: String(ports.grpc),
      CHAIN_ID: String(options.chainId ?? 4242),
      LOG_LEVEL: options.logLevel ?? 'log',
      MAINNET_GENESIS_BALANCES: DEVNET_GENESIS_BALANCES,
      MAINNET_UNBONDING_MS: String(DEVNET_UNBONDING_MS),
      ...options.mainnetEnv,
    },
    processOptions('mainnet', options),
  );
}

function spawnSpn(options: DevnetOptions, databaseUrl: string, tcpPort: number, spec: DevnetSpnOptions, port: number): NodeProcess {
  return new NodeProcess(
    'spn',
    {
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      SPN_ID: spec.spnId,
      VM: spec.vm,
      CHAIN_ID: String(options.chainId ?? 4242),
      MAINNET_TCP_PORT: String(tcpPort),
      OPERATOR_KEY: devAccount(0).privateKey,
      LOG_LEVEL: options.logLevel ?? 'log',
      ...circuitCacheEnv(),
      ...(spec.provers ? { PROVERS: '0' } : {}),
      ...spec.env,
    },
    processOptions(spec.spnId, options),
  );
}

/** Starts prover process `index` of an SPN and waits until it proves. */
async function startProver(options: DevnetOptions, databaseUrl: string, spec: DevnetSpnOptions, index: number): Promise<NodeProcess> {
  const prover = new NodeProcess(
    'prover',
    {
      DATABASE_URL: databaseUrl,
      SPN_ID: spec.spnId,
      LOG_LEVEL: options.logLevel ?? 'log',
      ...circuitCacheEnv(),
      ...(spec.env?.CIRCUIT_PROFILE ? { CIRCUIT_PROFILE: spec.env.CIRCUIT_PROFILE } : {}),
      ...spec.proverEnv,
    },
    processOptions(`${spec.spnId} prover ${index}`, options),
  );
  try {
    await prover.waitForOutput(/^prover \S+ proving SPN/m);
  } catch (err) {
    await prover.stop();
    throw err;
  }
  return prover;
}

async function stopSpn(spn: DevnetSpn): Promise<void> {
  await Promise.all(spn.provers.map((p) => p.stop()));
  await spn.process.stop();
}

/** Where a node finds the circuit artifacts: this process's cache (HOME, MESH_CACHE_DIR). */
function circuitCacheEnv(): Record<string, string> {
  return { HOME: process.env.HOME ?? '', ...(process.env.MESH_CACHE_DIR ? { MESH_CACHE_DIR: process.env.MESH_CACHE_DIR } : {}) };
}

function processOptions(name: string, options: DevnetOptions): NodeProcessOptions {
  const onLine = options.onLine;
  return { onLine: onLine ? (line, stream) => onLine(`[${name}] ${line}`, stream) : undefined };
}

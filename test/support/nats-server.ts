import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';

/** The NATS server binary: NATS_SERVER_BIN, else Debian's package's, else `nats-server` on the PATH. */
const BIN = process.env.NATS_SERVER_BIN ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server');

/**
 * A NATS server of the test's own (the machine's binary, no JetStream, no data) on 127.0.0.1:`port`,
 * so that a test can stop it and start it again without touching anything else on the machine.
 */
export class NatsServer {
  private child: ChildProcess | undefined;
  private output = '';

  constructor(readonly port: number) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(timeoutMs = 10_000): Promise<void> {
    const child = spawn(BIN, ['-a', '127.0.0.1', '-p', String(this.port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (err) => reject(new Error(`cannot start ${BIN} (set NATS_SERVER_BIN): ${err.message}`)));
      child.once('exit', (code) => reject(new Error(`${BIN} exited with code ${code}:\n${this.output}`)));
    });
    failed.catch(() => undefined);
    const deadline = Date.now() + timeoutMs;
    while (!(await Promise.race([accepts(this.port), failed]))) {
      if (Date.now() > deadline) throw new Error(`${BIN} did not listen on ${this.url} within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((wait) => setTimeout(wait, 100));
    }
  }

  /** Kills the server (SIGKILL: its clients see the connection drop, as on a crash). */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

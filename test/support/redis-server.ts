import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface RedisTestServerOptions {
  port?: number;
  /**
   * Write every command to an append-only file before answering it (`appendfsync always`), so that a Redis
   * killed with SIGKILL and started again comes back with every job it acknowledged.
   */
  durable?: boolean;
}

/** A throwaway `redis-server` on 127.0.0.1 for the BullMQ tests, on a free port. */
export class RedisTestServer {
  private process: ChildProcess;

  private constructor(
    process: ChildProcess,
    readonly port: number,
    private readonly dir: string | undefined,
  ) {
    this.process = process;
  }

  /** Whether `redis-server` is installed (CI installs it; see .ci/run). */
  static isAvailable(): boolean {
    return spawnSync('redis-server', ['--version']).status === 0;
  }

  static async start(options: RedisTestServerOptions = {}): Promise<RedisTestServer> {
    const port = options.port ?? (await freePort());
    const dir = options.durable ? mkdtempSync(join(tmpdir(), 'loops-redis-')) : undefined;
    return new RedisTestServer(await launch(port, dir), port, dir);
  }

  get connection(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.port };
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** How many connections Redis has open now, besides the one that asks. */
  async connectedClients(): Promise<number> {
    const asking = new Redis(this.connection);
    try {
      return (
        String(await asking.client('LIST'))
          .trim()
          .split('\n').length - 1
      );
    } finally {
      asking.disconnect();
    }
  }

  /** SIGKILL, as a crash: no save, connections cut. */
  async kill(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = once(this.process, 'exit');
    this.process.kill('SIGKILL');
    await exited;
  }

  /** Starts it again on the same port (and, when durable, the same data). */
  async restart(): Promise<void> {
    await this.kill();
    this.process = await launch(this.port, this.dir);
  }

  /** Freezes the process: connections stay open, commands go unanswered until `resume()`. */
  pause(): void {
    this.process.kill('SIGSTOP');
  }

  resume(): void {
    this.process.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    this.resume();
    await this.kill();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

async function launch(port: number, dir: string | undefined): Promise<ChildProcess> {
  const persistence = dir
    ? ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '']
    : ['--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...persistence], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onExit = (code: number | null) => reject(new Error(`redis-server exited with ${code}: ${output}`));
    child.once('exit', onExit);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.off('exit', onExit);
        child.stdout?.removeAllListeners('data');
        child.stdout?.resume();
        resolve();
      }
    });
  });
  return child;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

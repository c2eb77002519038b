import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/** A throwaway `redis-server` on 127.0.0.1 for the BullMQ tests: no persistence, a free port. */
export class RedisTestServer {
  private constructor(
    private readonly process: ChildProcess,
    readonly port: number,
  ) {}

  /** Whether `redis-server` is installed (CI installs it; see .ci/run). */
  static isAvailable(): boolean {
    return spawnSync('redis-server', ['--version']).status === 0;
  }

  static async start(port?: number): Promise<RedisTestServer> {
    const chosen = port ?? (await freePort());
    const child = spawn(
      'redis-server',
      ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await new Promise<void>((resolve, reject) => {
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
    });
    return new RedisTestServer(child, chosen);
  }

  get connection(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.port };
  }

  async stop(): Promise<void> {
    // A process killed by a signal has no exit code, only a signal code; waiting for its exit again would hang.
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.kill('SIGKILL');
    await exited;
  }
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

import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

/** The real API (api/main.ts through tsx) as its own process group, on a free port, with extra environment. */
export interface ApiProcess {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../..');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function spawnApi(extraEnv: Record<string, string>): Promise<ApiProcess> {
  const port = await freePort();
  let out = '';
  const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['api/main.ts'], {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!out.includes('api listening')) {
    if (child.exitCode !== null) throw new Error(`api exited early:\n${out}`);
    if (Date.now() > deadline) throw new Error(`api did not start in 60 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    stop: async () => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        return;
      }
      await exited;
    },
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

/** The API as `npm run api` runs it (tsx api/main.ts), in its own process group, with the environment given. */
export interface ApiProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../..');

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Starts the API and waits for "api listening"; `exitCode` instead when it exits first (a refused start). */
export async function spawnApi(extraEnv: Record<string, string>): Promise<ApiProcess & { exitCode: number | null }> {
  const port = extraEnv.PORT ?? String(await freePort());
  let out = '';
  const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['api/main.ts'], {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, PORT: port, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  // 'close': the process exited and its output is all read.
  let closed: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve((closed = code))));
  const deadline = Date.now() + 60_000;
  while (!out.includes('api listening') && closed === undefined) {
    if (Date.now() > deadline) throw new Error(`API did not start in 60 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      return;
    }
    await exited;
  };
  return { url: `http://127.0.0.1:${port}`, child, output: () => out, stop, exitCode: closed ?? null };
}

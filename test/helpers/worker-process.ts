import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * A worker in its own process group, so a test can kill -9 it like a crashed machine would die,
 * and read everything it printed.
 */
export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../..');

export async function spawnWorker(taskQueue: string, extraEnv: Record<string, string> = {}): Promise<WorkerProcess> {
  let out = '';
  const child = spawn(path.join(ROOT, 'bin/datamigrato-worker'), [], {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, DATAMIGRATO_TASK_QUEUE: taskQueue, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!out.includes('worker started')) {
    if (child.exitCode !== null) throw new Error(`worker exited early:\n${out}`);
    if (Date.now() > deadline) throw new Error(`worker did not start in 60 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const signalGroup = async (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      return; // already gone
    }
    await exited;
  };
  return { child, output: () => out, kill9: () => signalGroup('SIGKILL'), stop: () => signalGroup('SIGTERM') };
}

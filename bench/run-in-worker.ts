import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { JobSpec } from '../src/job/job-spec';
import { spawnWorker } from '../test/helpers/worker-process';
import type { MigrationReport } from '../workflows/types';
import { peakRssMb } from './process-tree';

/** Workers run from a prebuilt workflow bundle, as deployed workers should (scripts/bundle-workflows.ts). */
export const BUNDLE = path.resolve(__dirname, '../dist/workflow-bundle.js');

export interface Measured {
  report: MigrationReport;
  totalMs: number;
  peakRssMb: number;
}

export interface MeasuredSeries {
  reports: MigrationReport[];
  /** Wall clock from the first migration's start to the last one's end (the worker's start-up is not in it). */
  totalMs: number;
  peakRssMb: number;
}

/**
 * One migration on a fresh worker process of its own, so the worker's peak RSS (VmHWM, sampled from
 * /proc) belongs to this run alone; the wall time covers the whole workflow, validation included.
 */
export async function runInWorkerProcess(spec: JobSpec, label: string, env: Record<string, string> = {}): Promise<Measured> {
  const { reports, totalMs, peakRssMb } = await runSeriesInWorkerProcess([spec], label, env);
  return { report: reports[0]!, totalMs, peakRssMb };
}

/** BENCH_WORKER_CPU_PROF=<dir>: each worker writes a CPU profile there (bench/cpu-profile.cjs; bench/profile-summary.ts reads it). */
function profileEnv(): Record<string, string> {
  const dir = process.env.BENCH_WORKER_CPU_PROF;
  return dir ? { NODE_OPTIONS: `--require ${path.join(__dirname, 'cpu-profile.cjs')}`, BENCH_CPU_PROF_DIR: path.resolve(dir) } : {};
}

/**
 * BENCH_WORKERS=n (default 1): n worker processes on the run's task queue, each running at most
 * BENCH_WORKER_ACTIVITIES chunks at once (default: the config's DATAMIGRATO_MAX_ACTIVITIES), so chunks spread over
 * several JavaScript threads — whether more processes pay on a machine whose cores the databases share.
 */
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
function activitiesEnv(): Record<string, string> {
  const perWorker = process.env.BENCH_WORKER_ACTIVITIES;
  return perWorker ? { DATAMIGRATO_MAX_ACTIVITIES: perWorker } : {};
}

/** Several migrations one after the other on fresh worker processes (e.g. one per table of a database); peak RSS is the highest one process reached. */
export async function runSeriesInWorkerProcess(specs: JobSpec[], label: string, env: Record<string, string> = {}): Promise<MeasuredSeries> {
  const taskQueue = `${label}-${Date.now().toString(36)}`;
  const workerEnv = { TEMPORAL_LOG_LEVEL: 'WARN', DATAMIGRATO_WORKFLOW_BUNDLE: BUNDLE, ...profileEnv(), ...activitiesEnv(), ...env };
  const workers = await Promise.all(Array.from({ length: WORKERS }, () => spawnWorker(taskQueue, workerEnv)));
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
  let peak = 0;
  const sample = () => (peak = Math.max(peak, ...workers.map((w) => peakRssMb(w.child.pid!))));
  const sampler = setInterval(sample, 500);
  try {
    const t0 = Date.now();
    const reports: MigrationReport[] = [];
    for (const [i, spec] of specs.entries())
      reports.push(await client.workflow.execute('migrationWorkflow', { taskQueue, workflowId: `${label}-${i}-${taskQueue}`, args: [{ spec }] }));
    const totalMs = Date.now() - t0;
    sample();
    return { reports, totalMs, peakRssMb: peak };
  } finally {
    clearInterval(sampler);
    await Promise.all(workers.map((w) => w.stop()));
    await connection.close();
  }
}

import type { Client } from '@temporalio/client';
import cliProgress from 'cli-progress';
import { getMigration, type MigrationView } from '../client';
import { duration, num, pct } from './format';

export interface WatchOptions {
  intervalMs?: number;
  /** Where bars go (default stderr, so stdout stays clean for --json). */
  stream?: NodeJS.WriteStream;
  /** Partition bars beyond this collapse into the total bar's summary. */
  maxPartitionBars?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Payload = { label: string; done: string; est: string; rps: string; etaText: string; state: string };

/**
 * Polls the migration (describe + `progress` query) and draws one bar per partition plus a total, with
 * rows/s and ETA, until the workflow closes. Returns the final view. On a non-TTY stream it prints a
 * progress line every few seconds instead of redrawing bars.
 */
export async function watchMigration(client: Client, id: string, opts: WatchOptions = {}): Promise<MigrationView> {
  const stream = opts.stream ?? process.stderr;
  const interval = opts.intervalMs ?? 1_000;
  const tty = Boolean(stream.isTTY);
  const maxBars = opts.maxPartitionBars ?? Math.max(4, (stream.rows ?? 30) - 6);

  const multibar = tty
    ? new cliProgress.MultiBar(
        {
          stream,
          format: ' {label} [{bar}] {percentage}% | {done}/{est} rows | {rps} rows/s | ETA {etaText} | {state}',
          barsize: 30,
          hideCursor: true,
          clearOnComplete: false,
          stopOnComplete: false,
          autopadding: true,
          gracefulExit: false,
          fps: 5,
          linewrap: false,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let total: cliProgress.SingleBar | null = null;
  const bars = new Map<number, cliProgress.SingleBar>();
  let lastLine = 0;

  const onSigint = () => {
    multibar?.stop();
    stream.write(`\nstopped watching; the migration goes on. Reattach with: datamigrato watch ${id}\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSigint);

  try {
    for (;;) {
      const view = await getMigration(client, id, { queryTimeoutMs: 3_000 });
      const p = view.progress;
      const phase = p ? (p.paused ? 'PAUSED' : p.phase) : view.status.toLowerCase();
      if (multibar) {
        if (p) {
          const est = Math.max(p.estimatedRows ?? 0, p.rows, 1);
          const collapsed = p.partitions.length > maxBars;
          const doneParts = p.partitions.filter((x) => x.state === 'done').length;
          const state = collapsed ? `${phase}, ${doneParts}/${p.partitions.length} partitions done` : phase;
          const payload: Payload = {
            label: 'total',
            done: num(p.rows),
            est: num(p.estimatedRows),
            rps: num(p.rowsPerSecond),
            etaText: duration(p.etaSeconds),
            state,
          };
          if (!total) total = multibar.create(est, p.rows, payload);
          total.setTotal(view.closed && view.status === 'Completed' ? Math.max(p.rows, 1) : est);
          total.update(p.rows, payload);
          if (!collapsed) {
            for (const part of p.partitions) {
              const partEst = part.state === 'done' ? Math.max(part.rows, 1) : Math.max(part.estimatedRows ?? 0, part.rows, 1);
              const pl: Payload = {
                label: `p${String(part.id).padEnd(4)}`,
                done: num(part.rows),
                est: num(part.estimatedRows),
                rps: num(part.rowsPerSecond),
                etaText: duration(part.etaSeconds),
                state: part.state,
              };
              let bar = bars.get(part.id);
              if (!bar) bars.set(part.id, (bar = multibar.create(partEst, part.rows, pl)));
              bar.setTotal(partEst);
              bar.update(part.rows, pl);
            }
          }
        } else if (!total) {
          total = multibar.create(1, 0, {
            label: 'total',
            done: '0',
            est: '?',
            rps: '0',
            etaText: '--',
            state: view.closed ? view.status : `${phase} (waiting for progress)`,
          });
        }
      } else if (Date.now() - lastLine >= Math.max(interval, 2_000) || view.closed) {
        lastLine = Date.now();
        stream.write(
          p
            ? `${new Date().toISOString()} ${id} ${phase}: ${num(p.rows)}/${num(p.estimatedRows)} rows (${pct(p.rows, p.estimatedRows)}), ${num(p.rowsPerSecond)} rows/s, ETA ${duration(p.etaSeconds)}\n`
            : `${new Date().toISOString()} ${id} ${view.status}\n`,
        );
      }
      if (view.closed) {
        multibar?.stop();
        return view;
      }
      await sleep(interval);
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
    multibar?.stop();
  }
}

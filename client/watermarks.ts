import { DatamigratoError } from '../src/errors';
import { listWatermarks, resetWatermarks, withControlDb, type StoredWatermark } from '../src/incremental/watermark-store';
import { ClientError } from './errors';

/**
 * Incremental jobs' watermarks, read from and reset in the control store (DATAMIGRATO_CONTROL_URL) — the
 * API and CLI see the same rows the workers advance.
 */
async function control<T>(fn: Parameters<typeof withControlDb<T>>[0]): Promise<T> {
  try {
    return await withControlDb(fn);
  } catch (err) {
    if (err instanceof DatamigratoError) throw new ClientError('unavailable', err.message);
    // A driver error can echo the connection string; say only what failed.
    throw new ClientError('unavailable', `the control store could not be reached (${(err as { code?: string }).code ?? 'connection failed'})`);
  }
}

export const jobWatermarks = async (job: string): Promise<{ job: string; items: StoredWatermark[] }> => ({
  job,
  items: await control((db) => listWatermarks(db, job)),
});

export const resetJobWatermarks = async (job: string): Promise<{ job: string; removed: number }> => ({
  job,
  removed: await control((db) => resetWatermarks(db, job)),
});

import { DatamigratoError, StoppedError, scrubSecrets, transientError } from '../errors';
import { logger } from '../logging';
import type { ConnectorSession } from '../connectors/contract';
import { checkConnectionUrls } from '../connectors/connection-url';
import { getConnector } from '../connectors/registry';
import type { Endpoint } from '../job/endpoints';
import { resolveConnection } from '../secrets/resolve';

export type Side = 'source' | 'target';

export interface OpenedEndpoint {
  side: Side;
  type: string;
  session: ConnectorSession;
}

/**
 * Opens both ends a piece of work needs, runs it, and always closes them. Any error leaving here has
 * had every resolved secret scrubbed from its message, because it will land in workflow history.
 * `alsoScrub` adds secrets resolved elsewhere (mask keys).
 */
export async function withEndpoints<T>(
  ends: { side: Side; endpoint: Endpoint }[],
  fn: (opened: Record<Side, ConnectorSession>) => Promise<T>,
  alsoScrub: readonly string[] = [],
): Promise<T> {
  const secrets: string[] = [...alsoScrub];
  const opened: Partial<Record<Side, ConnectorSession>> = {};
  try {
    for (const { side, endpoint } of ends) {
      const connector = getConnector(endpoint.type);
      const resolution = await resolveConnection(endpoint.connection, `${side}.connection`);
      secrets.push(...resolution.secrets);
      checkConnectionUrls(connector.connectionUrls, resolution.connection as Record<string, unknown>, `${side}.connection`);
      const log = logger.child({ side, connector: connector.type });
      opened[side] = await connector.open(endpoint, resolution.connection, log);
    }
    return await fn(opened as Record<Side, ConnectorSession>);
  } catch (err) {
    throw scrubbed(err, secrets);
  } finally {
    await Promise.all(Object.values(opened).map((s) => s.close().catch(() => undefined)));
  }
}

function scrubbed(err: unknown, secrets: string[]): Error {
  if (err instanceof DatamigratoError) {
    // Rebuild rather than mutate: the cause chain (driver errors) may hold the secret too, so it is dropped.
    const clean = new DatamigratoError(err.kind, scrubSecrets(err.message, secrets));
    clean.stack = scrubSecrets(err.stack ?? '', secrets);
    return clean;
  }
  if (err instanceof StoppedError) return err;
  const e = transientError(scrubSecrets(String((err as Error)?.message ?? err), secrets));
  e.stack = scrubSecrets((err as Error)?.stack ?? '', secrets);
  return e;
}

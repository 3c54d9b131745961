import { configError } from '../errors';

/**
 * A connection field that must be a URL, declared by a descriptor (`connectionUrls`). A value that does not
 * parse, has another scheme or no host can never connect: without this check a driver reads it as a socket
 * path or a host name and the copy is retried for minutes as a transient network error.
 */
export interface ConnectionUrlRule {
  /** Field of the resolved connection block, e.g. `url` or `databaseURL`. */
  field: string;
  /** Accepted schemes, with the colon: `postgres:`. */
  schemes: readonly string[];
  /** The field may be absent (it is optional in the endpoint schema). */
  optional?: boolean;
  /** A query parameter that may give the host instead (PostgreSQL: `postgres:///db?host=/run/postgresql`). */
  hostParam?: string;
}

/**
 * Checks the resolved values; the error names the field (`source.connection.url`) and never the value,
 * which is a secret. A ConfigError: non-retryable.
 */
export function checkConnectionUrls(rules: readonly ConnectionUrlRule[] | undefined, connection: Record<string, unknown>, where: string): void {
  for (const rule of rules ?? []) {
    const value = connection[rule.field];
    const at = `${where}.${rule.field}`;
    const expected = `expected ${rule.schemes.map((s) => `${s}//host…`).join(' or ')}`;
    if (value === undefined && rule.optional) continue;
    if (typeof value !== 'string' || !value.trim()) throw configError(`${at}: the value is empty or not a string; ${expected}`);
    let url: URL;
    try {
      url = new URL(value.trim());
    } catch {
      throw configError(`${at}: the value is not a URL (not shown: it is a secret); ${expected}`);
    }
    if (!rule.schemes.includes(url.protocol)) throw configError(`${at}: unknown scheme "${url.protocol}"; ${expected}`);
    if (!url.hostname && !(rule.hostParam && url.searchParams.get(rule.hostParam))) throw configError(`${at}: the URL has no host; ${expected}`);
  }
}

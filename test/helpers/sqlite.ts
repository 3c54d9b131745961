import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueSuffix } from './env';

/** A fresh directory under the OS temp dir for a test file's databases; `remove` deletes it. */
export function sqliteDir(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), `dm-${prefix}-`));
  return {
    dir,
    file: (name: string) => join(dir, `${name}-${uniqueSuffix()}.db`),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs `fn` on a read-write handle of the file (created if missing), in one transaction, and closes it. */
export function withSqlite<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    return db.transaction(() => fn(db))();
  } finally {
    db.close();
  }
}

/** Points an environment variable at the file, so specs name it as a secret reference like any location. */
export function pathRef(path: string): { env: string } {
  const env = `DM_SQLITE_${uniqueSuffix().toUpperCase()}`;
  process.env[env] = path;
  return { env };
}

const JULIAN_UNIX_EPOCH = 2440587.5;
export const BASE_MS = Date.UTC(2023, 0, 1);

/**
 * An orders table with every declared type the connector maps and drift planted: every 997th n is the text
 * "toto", every 1009th n the real 1.5, every 1499th label a blob. Returns the ids whose rows must be rejected.
 */
export function seedOrders(path: string, table: string, rows: number): { drift: Set<number> } {
  const drift = new Set<number>();
  withSqlite(path, (db) => {
    db.exec(`CREATE TABLE "${table}" (id INTEGER PRIMARY KEY, n INTEGER, label TEXT, price DECIMAL(12,2), ratio REAL, flag BOOLEAN,
      doc JSON, raw BLOB, uid UUID, created DATETIME, touched_ms DATETIME, jd TIMESTAMP, day DATE)`);
    const ins = db.prepare(`INSERT INTO "${table}" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`);
    for (let i = 1; i <= rows; i++) {
      let n: unknown = BigInt(i % 1000);
      let label: unknown = i % 13 === 0 ? null : `order ${i} ✓ 'q'`;
      if (i % 997 === 0) n = 'toto';
      else if (i % 1009 === 0) n = 1.5;
      else if (i % 1499 === 0) label = Buffer.from([1, 2, 3]);
      if (i % 997 === 0 || i % 1009 === 0 || i % 1499 === 0) drift.add(i);
      const ms = BASE_MS + i * 1_000;
      ins.run(
        BigInt(i),
        n,
        label,
        `${i}.${String(i % 100).padStart(2, '0')}`,
        i / 8,
        BigInt(i % 2),
        JSON.stringify({ i, tags: ['a', i % 3] }),
        Buffer.from([i % 256, 7]),
        `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        new Date(ms).toISOString().replace('T', ' ').slice(0, 19),
        BigInt(ms),
        JULIAN_UNIX_EPOCH + ms / 86_400_000,
        new Date(ms).toISOString().slice(0, 10),
      );
    }
  });
  return { drift };
}

/** A Chinook-shaped catalogue: artists ⋈ albums ⋈ tracks, generated. */
export function seedChinook(path: string, tracks: number): void {
  withSqlite(path, (db) => {
    db.exec(`CREATE TABLE Artist (ArtistId INTEGER PRIMARY KEY, Name NVARCHAR(120));
      CREATE TABLE Album (AlbumId INTEGER PRIMARY KEY, Title NVARCHAR(160) NOT NULL, ArtistId INTEGER NOT NULL REFERENCES Artist(ArtistId));
      CREATE TABLE Track (TrackId INTEGER PRIMARY KEY, Name NVARCHAR(200) NOT NULL, AlbumId INTEGER REFERENCES Album(AlbumId),
        Milliseconds INTEGER NOT NULL, Bytes INTEGER, UnitPrice NUMERIC(10,2) NOT NULL)`);
    const artists = Math.max(1, Math.floor(tracks / 25));
    const albums = Math.max(1, Math.floor(tracks / 10));
    const a = db.prepare('INSERT INTO Artist VALUES (?, ?)');
    for (let i = 1; i <= artists; i++) a.run(BigInt(i), `Artist ${i}`);
    const al = db.prepare('INSERT INTO Album VALUES (?, ?, ?)');
    for (let i = 1; i <= albums; i++) al.run(BigInt(i), `Album ${i}`, BigInt(((i - 1) % artists) + 1));
    const t = db.prepare('INSERT INTO Track VALUES (?, ?, ?, ?, ?, ?)');
    for (let i = 1; i <= tracks; i++)
      t.run(BigInt(i), `Track ${i}`, BigInt(((i - 1) % albums) + 1), BigInt(180_000 + i), BigInt(i * 1000), i % 5 === 0 ? '1.99' : '0.99');
  });
}

export const CHINOOK_QUERY = `SELECT t.TrackId, t.Name AS TrackName, al.Title AS AlbumTitle, ar.Name AS ArtistName, t.Milliseconds, t.UnitPrice,
  t.Milliseconds / 1000 AS Seconds
  FROM Track t JOIN Album al ON al.AlbumId = t.AlbumId JOIN Artist ar ON ar.ArtistId = al.ArtistId`;

import type { MigrationReport } from '../../workflows/types';
import { parsed } from '../helpers/cross';
import { dropTable, dynamoConnectionSpec, scanAll, withDynamo } from '../helpers/dynamodb';
import { uniqueSuffix } from '../helpers/env';
import { pathRef, seedChinook, sqliteDir } from '../helpers/sqlite';
import { startHarness, type TemporalHarness } from '../helpers/temporal';

const TRACKS = 2_000; // → 200 albums, 80 artists

/**
 * The single-table design of the SQLite → DynamoDB tool this project grew from: one item per track under its
 * album's partition (PK ALBUM#n, SK TRACK#000123, denormalized with album and artist), plus one METADATA item per
 * album — built by a query source (a UNION of two joins) read by keyset on (PK, SK).
 */
const SINGLE_TABLE_QUERY = `
  SELECT 'ALBUM#' || al.AlbumId AS PK, 'TRACK#' || printf('%06d', t.TrackId) AS SK, 'track' AS Kind,
         t.Name AS Name, al.Title AS AlbumTitle, ar.Name AS ArtistName, t.UnitPrice AS UnitPrice, t.Milliseconds AS Milliseconds
    FROM Track t JOIN Album al ON al.AlbumId = t.AlbumId JOIN Artist ar ON ar.ArtistId = al.ArtistId
  UNION ALL
  SELECT 'ALBUM#' || al.AlbumId, 'METADATA', 'album', al.Title, al.Title, ar.Name, NULL, NULL
    FROM Album al JOIN Artist ar ON ar.ArtistId = al.ArtistId`;

describe('Chinook-shaped SQLite query source → DynamoDB single-table design', () => {
  let h: TemporalHarness;
  const files = sqliteDir('chinook-ddb');
  const table = `chinook_${uniqueSuffix()}`;
  beforeAll(async () => {
    h = await startHarness('chinook-ddb');
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await withDynamo((c) => dropTable(c, table)).catch(() => undefined);
    files.remove();
  }, 60_000);

  test(`${TRACKS} tracks ⋈ albums ⋈ artists plus album items under PK/SK, validated`, async () => {
    const path = files.file('chinook');
    seedChinook(path, TRACKS);
    const albums = TRACKS / 10;
    const spec = parsed({
      name: `chinook-ddb-${table}`,
      source: { type: 'sqlite', connection: { path: pathRef(path) }, query: SINGLE_TABLE_QUERY, key: ['PK', 'SK'] },
      target: { type: 'dynamodb', connection: dynamoConnectionSpec(), table, create: { partitionKey: 'PK', sortKey: 'SK' } },
      batchSize: 250,
      parallelism: 2,
      partitions: 4,
    });
    const report: MigrationReport = await h.client.workflow.execute('migrationWorkflow', { taskQueue: h.taskQueue, workflowId: spec.name, args: [{ spec }] });
    console.log(JSON.stringify({ rows: report.rows, rowsPerSecond: report.rowsPerSecond, validation: report.validation?.status, timings: report.timings }));
    expect(report.rows).toBe(TRACKS + albums);
    expect(report.validation).toMatchObject({ status: 'match', source: { count: TRACKS + albums }, target: { count: TRACKS + albums } });

    const items = await withDynamo((c) => scanAll(c, table));
    expect(items).toHaveLength(TRACKS + albums);
    // Album 7's partition: its METADATA item and its 10 tracks (7, 207, 407, …), each denormalized.
    const album7 = items.filter((i) => i.PK?.S === 'ALBUM#7');
    expect(album7.map((i) => i.SK?.S).sort()).toEqual(['METADATA', ...Array.from({ length: 10 }, (_, k) => `TRACK#${String(7 + k * 200).padStart(6, '0')}`)]);
    const track207 = album7.find((i) => i.SK?.S === 'TRACK#000207')!;
    expect(track207).toMatchObject({ Kind: { S: 'track' }, Name: { S: 'Track 207' }, AlbumTitle: { S: 'Album 7' }, ArtistName: { S: 'Artist 7' } });
    expect(track207.Milliseconds).toEqual({ N: '180207' });
    expect(album7.find((i) => i.SK?.S === 'METADATA')).toMatchObject({ Kind: { S: 'album' }, Name: { S: 'Album 7' } });
  }, 300_000);
});

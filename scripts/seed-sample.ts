/** Creates sample.customers (100k rows) for the `npm start` demo, unless it is already there. */
import { Client } from 'pg';

async function main() {
  const client = new Client({ connectionString: process.env.PG_URL });
  await client.connect();
  try {
    await client.query('CREATE SCHEMA IF NOT EXISTS sample');
    await client.query(`CREATE TABLE IF NOT EXISTS sample.customers (
      id bigint PRIMARY KEY, name text NOT NULL, email text, balance numeric(12,2), signed_up timestamptz,
      preferences jsonb, internal_note text)`);
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM sample.customers');
    if (Number(rows[0]!.n) === 0) {
      await client.query(`INSERT INTO sample.customers
        SELECT g, 'Customer ' || g, 'customer' || g || '@example.com', round((random() * 5000)::numeric, 2),
               timestamptz '2020-01-01' + g * interval '17 minutes', jsonb_build_object('newsletter', g % 3 = 0, 'lang', (ARRAY['en','fr','de','ja'])[1 + g % 4]),
               'do not migrate ' || g
          FROM generate_series(1, 100000) g`);
    }
    // A re-run of the demo starts from an empty target, so the progress bar has something to show.
    await client.query('DROP TABLE IF EXISTS sample.customers_copy');
    console.log('sample.customers ready (100000 rows); sample.customers_copy reset');
  } finally {
    await client.end();
  }
}

main().catch((err) => {
  console.error(`seeding the sample failed: ${err.message}`);
  process.exit(1);
});

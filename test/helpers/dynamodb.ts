import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';

// Tests never let the SDK look for instance credentials.
process.env.AWS_EC2_METADATA_DISABLED = 'true';

/** The local DynamoDB API server (dynalite, scripts/stack.sh up dynamodb). */
export const dynamoEndpoint = process.env.DYNAMODB_ENDPOINT ?? 'http://127.0.0.1:58000';
export const dynamoRegion = process.env.AWS_REGION ?? 'us-east-1';
export const TEST_KEY_ID = process.env.AWS_ACCESS_KEY_ID ?? 'test';
export const TEST_SECRET = process.env.AWS_SECRET_ACCESS_KEY ?? 'test';

/** The endpoint connection block as a spec holds it (credentials as secret references). */
export const dynamoConnectionSpec = (endpoint = dynamoEndpoint) => {
  process.env.DM_TEST_AWS_KEY_ID ??= TEST_KEY_ID;
  process.env.DM_TEST_AWS_SECRET ??= TEST_SECRET;
  return { region: dynamoRegion, endpoint, accessKeyId: { env: 'DM_TEST_AWS_KEY_ID' }, secretAccessKey: { env: 'DM_TEST_AWS_SECRET' } };
};
/** The same, resolved, as open() receives it. */
export const dynamoConnection = (endpoint = dynamoEndpoint) => ({ region: dynamoRegion, endpoint, accessKeyId: TEST_KEY_ID, secretAccessKey: TEST_SECRET });

export const dynamoClient = (endpoint = dynamoEndpoint) =>
  new DynamoDBClient({ region: dynamoRegion, endpoint, credentials: { accessKeyId: TEST_KEY_ID, secretAccessKey: TEST_SECRET } });

export async function withDynamo<T>(fn: (c: DynamoDBClient) => Promise<T>): Promise<T> {
  const c = dynamoClient();
  try {
    return await fn(c);
  } finally {
    c.destroy();
  }
}

/** Whether the server answers (for a loud skip when it is not up). */
export async function dynamoUp(): Promise<boolean> {
  try {
    const r = await fetch(dynamoEndpoint, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'DynamoDB_20120810.ListTables', 'Content-Type': 'application/x-amz-json-1.0' },
      body: '{}',
    });
    return (await r.text()).includes('__type') || r.ok;
  } catch {
    return false;
  }
}

type Item = Record<string, AttributeValue>;

export async function createTable(c: DynamoDBClient, table: string, key: [string, 'S' | 'N' | 'B'][]): Promise<void> {
  await c.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: key.map(([n, t]) => ({ AttributeName: n, AttributeType: t })),
      KeySchema: key.map(([n], i) => ({ AttributeName: n, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
    }),
  );
  for (let i = 0; i < 200; i++) {
    const t = await c.send(new DescribeTableCommand({ TableName: table }));
    if (t.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${table} not ACTIVE`);
}

export async function putItems(c: DynamoDBClient, table: string, items: Item[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    let left = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    while (left.length) {
      const out = await c.send(new BatchWriteItemCommand({ RequestItems: { [table]: left } }));
      left = (out.UnprocessedItems?.[table] ?? []) as typeof left;
    }
  }
}

export async function scanAll(c: DynamoDBClient, table: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const out = await c.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...((out.Items ?? []) as Item[]));
    start = out.LastEvaluatedKey as Item | undefined;
  } while (start);
  return items;
}

export async function dropTable(c: DynamoDBClient, table: string): Promise<void> {
  await c.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
}

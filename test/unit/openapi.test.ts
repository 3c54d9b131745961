import Ajv2020 from 'ajv/dist/2020';
import { z } from 'zod';
import { buildOpenApiDocument } from '../../api/openapi';
import { JobSpecSchema } from '../../src/job/job-spec';

/**
 * /openapi.json is generated from the zod schemas (api/openapi.ts). No OpenAPI validator package is
 * installed, so the document is checked structurally against the OpenAPI 3.1 rules that matter (version,
 * info, paths, operations with responses, every $ref resolvable, every path parameter declared, every
 * component a valid JSON Schema 2020-12 — the 3.1 dialect — compiled by ajv), and the JobSpec component
 * is compared with zod's own JSON Schema of the same schema, then behaviourally: ajv with the component and
 * zod must accept and reject the same specs.
 */
const doc = buildOpenApiDocument();
type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function walk(v: unknown, visit: (node: Json, path: string) => void, path = '#'): void {
  if (Array.isArray(v)) v.forEach((x, i) => walk(x, visit, `${path}/${i}`));
  else if (v && typeof v === 'object') {
    visit(v as Json, path);
    for (const [k, x] of Object.entries(v)) walk(x, visit, `${path}/${k}`);
  }
}

function resolvePointer(ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`external $ref ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (node as Json | undefined)?.[key], doc);
}

describe('OpenAPI document: structure', () => {
  test('an OpenAPI 3.1 document with info, paths and components', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(Object.keys(doc.components?.schemas ?? {})).toEqual(
      expect.arrayContaining([
        'JobSpec',
        'StartRequest',
        'StartResponse',
        'Problem',
        'Migration',
        'MigrationProgress',
        'MigrationReport',
        'MigrationList',
        'DryRunResult',
        'ConnectorList',
        'Health',
      ]),
    );
    expect(doc.components?.securitySchemes?.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  test('every route the API serves is documented', () => {
    const ops = Object.entries(doc.paths ?? {}).flatMap(([p, item]) =>
      Object.keys(item as Json)
        .filter((m) => METHODS.includes(m))
        .map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(ops.sort()).toEqual(
      [
        'POST /migrations',
        'GET /migrations',
        'POST /migrations/check',
        'GET /migrations/{id}',
        'GET /migrations/{id}/report',
        'GET /migrations/{id}/diff',
        'POST /migrations/{id}/repair',
        'POST /migrations/{id}/retry',
        'POST /migrations/{id}/pause',
        'POST /migrations/{id}/resume',
        'POST /migrations/{id}/cancel',
        'GET /connectors',
        'GET /healthz',
        'GET /openapi.json',
        'GET /watermarks/{job}',
        'POST /watermarks/{job}/reset',
        'GET /jobs',
        'PUT /jobs/{name}',
        'GET /jobs/{name}',
        'DELETE /jobs/{name}',
        'GET /jobs/{name}/versions',
        'POST /jobs/{name}/runs',
        'POST /schedules',
        'GET /schedules',
        'GET /schedules/{id}',
        'DELETE /schedules/{id}',
        'POST /schedules/{id}/pause',
        'POST /schedules/{id}/unpause',
        'POST /schedules/{id}/trigger',
        'POST /schedules/{id}/backfill',
      ].sort(),
    );
  });

  test('operations: responses present, error responses are problem+json, path parameters declared', () => {
    for (const [p, item] of Object.entries(doc.paths ?? {})) {
      for (const [method, op] of Object.entries(item as Json)) {
        if (!METHODS.includes(method)) continue;
        const o = op as { responses?: Json; parameters?: { in: string; name: string; required?: boolean }[] };
        expect(Object.keys(o.responses ?? {}).length).toBeGreaterThan(0);
        for (const [code, resp] of Object.entries(o.responses ?? {})) {
          expect(code).toMatch(/^[1-5]\d\d$/);
          expect((resp as Json).description).toEqual(expect.any(String));
          if (Number(code) >= 400 && p !== '/healthz') expect(Object.keys(((resp as Json).content as Json) ?? {})).toEqual(['application/problem+json']);
        }
        for (const name of [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
          expect(o.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'path', name, required: true })]));
        }
      }
    }
  });

  test('every $ref resolves inside the document', () => {
    const refs: string[] = [];
    walk(doc, (node) => {
      if (typeof node.$ref === 'string') refs.push(node.$ref);
    });
    expect(refs.length).toBeGreaterThan(20);
    for (const r of refs) expect({ ref: r, resolved: resolvePointer(r) !== undefined }).toEqual({ ref: r, resolved: true });
  });

  test('every component schema is valid JSON Schema 2020-12 (compiles in ajv)', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ $id: 'openapi.json', components: doc.components } as object);
    for (const name of Object.keys(doc.components?.schemas ?? {})) {
      expect(() => ajv.getSchema(`openapi.json#/components/schemas/${name}`)).not.toThrow();
      expect(ajv.getSchema(`openapi.json#/components/schemas/${name}`)).toBeDefined();
    }
  });
});

describe('OpenAPI document: JobSpec matches the zod schema', () => {
  /**
   * Spelling, not meaning: key order, the $schema header, `const` vs a single-value `enum`, an anyOf nested
   * directly in an anyOf (flattened), a list of types vs an anyOf of one type each (zod collapses a union of
   * primitives, zod-to-openapi does not), and the safe-integer bounds zod writes for every int.
   */
  const normalize = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(normalize);
    if (v && typeof v === 'object') {
      const o: Json = {};
      for (const k of Object.keys(v).sort()) if (k !== '$schema') o[k] = normalize((v as Json)[k]);
      if ('const' in o) {
        o.enum = [o.const];
        delete o.const;
      }
      if (o.maximum === Number.MAX_SAFE_INTEGER) delete o.maximum;
      if (o.minimum === Number.MIN_SAFE_INTEGER) delete o.minimum;
      if (Array.isArray(o.type) && !o.anyOf) {
        o.anyOf = (o.type as string[]).map((type) => ({ type }));
        delete o.type;
      }
      if (Array.isArray(o.anyOf)) {
        o.anyOf = (o.anyOf as Json[]).flatMap((x) => (Object.keys(x).length === 1 && Array.isArray(x.anyOf) ? (x.anyOf as Json[]) : [x]));
      }
      return o;
    }
    return v;
  };

  test('the JobSpec component is zod’s JSON Schema of JobSpecSchema (input side)', () => {
    const fromDoc = normalize(doc.components!.schemas!.JobSpec) as Json;
    const fromZod = normalize(z.toJSONSchema(JobSpecSchema, { io: 'input' })) as Json;
    // Known, documented differences — anything else fails:
    // 1. the component carries a description (added with .meta in api/schemas.ts);
    expect(fromDoc.description).toEqual(expect.any(String));
    delete fromDoc.description;
    // 2. zod-to-openapi 9 does not emit `propertyNames` for z.record keys (e.g. rename's "old name" must be
    //    non-empty): drop them from zod's side, wherever a record is, after checking they are only that.
    const dropped: unknown[] = [];
    walk(fromZod, (node) => {
      if ('propertyNames' in node) {
        expect(node).toHaveProperty('additionalProperties');
        dropped.push(node.propertyNames);
        delete node.propertyNames;
      }
    });
    expect(dropped.length).toBeGreaterThanOrEqual(1);
    for (const d of dropped) expect(d).toMatchObject({ type: 'string' }); // record keys are strings (some with constraints)
    expect(fromDoc).toEqual(fromZod);
  });

  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const validate = ajv.compile(doc.components!.schemas!.JobSpec as object);
  const ok = (over: Json = {}) => ({
    name: 'job-1',
    source: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: 's', table: 'a' },
    target: { type: 'postgres', connection: { name: 'warehouse' }, table: 'b', writeMode: 'insert' },
    ...over,
  });
  const src = ok().source;
  const corpus: [string, unknown][] = [
    ['minimal', ok()],
    [
      'all options',
      ok({
        batchSize: 5000,
        parallelism: 8,
        partitions: 16,
        transform: [
          { op: 'rename', fields: { a: 'b' } },
          { op: 'drop', fields: ['c'] },
        ],
        validate: { enabled: false },
        onRecordError: 'quarantine',
        chunk: { maxBatches: 10, maxSeconds: 5 },
      }),
    ],
    ['file secret', ok({ source: { ...src, connection: { url: { file: '/run/secrets/pg' } } } })],
    ['missing name', { ...ok(), name: undefined }],
    ['bad name', ok({ name: '-x' })],
    ['name too long', ok({ name: 'a'.repeat(101) })],
    ['missing source', { ...ok(), source: undefined }],
    ['unknown type', ok({ source: { ...src, type: 'oracle' } })],
    ['literal password url', ok({ source: { ...src, connection: { url: 'postgres://u:p@h/db' } } })],
    ['secret ref with two keys', ok({ source: { ...src, connection: { url: { env: 'A', file: '/b' } } } })],
    ['empty env name', ok({ source: { ...src, connection: { url: { env: '' } } } })],
    ['unknown endpoint field', ok({ source: { ...src, password: 'x' } })],
    ['unknown top-level field', ok({ extra: true })],
    ['batchSize string', ok({ batchSize: '100' })],
    ['batchSize float', ok({ batchSize: 1.5 })],
    ['batchSize too big', ok({ batchSize: 50_001 })],
    ['parallelism 0', ok({ parallelism: 0 })],
    ['bad writeMode', ok({ target: { ...ok().target, writeMode: 'merge' } })],
    ['bad onRecordError', ok({ onRecordError: 'ignore' })],
    ['transform not array', ok({ transform: { op: 'drop' } })],
    ['transform unknown op', ok({ transform: [{ op: 'explode', fields: ['a'] }] })],
    ['select empty', ok({ transform: [{ op: 'select', fields: [] }] })],
    ['chunk extra', ok({ chunk: { maxSeconds: 5, minutes: 1 } })],
    ['validate not object', ok({ validate: true })],
    ['table too long', ok({ source: { ...src, table: 't'.repeat(64) } })],
    ['array body', []],
    ['string body', 'name: x'],
    ['null body', null],
    // The refine "exactly one of url or name" is stated as oneOf in the document too.
    ['both url and name', ok({ source: { ...src, connection: { url: { env: 'A' }, name: 'n' } } })],
    ['neither url nor name', ok({ source: { ...src, connection: {} } })],
  ];

  test.each(corpus)('ajv (document) and zod agree: %s', (_name, input) => {
    const byZod = JobSpecSchema.safeParse(input).success;
    const byDoc = validate(input) as boolean;
    expect({ byDoc }).toEqual({ byDoc: byZod });
  });

  test('the corpus has both verdicts', () => {
    const verdicts = corpus.map(([, i]) => JobSpecSchema.safeParse(i).success);
    expect(verdicts.filter(Boolean).length).toBe(3);
    expect(verdicts.filter((v) => !v).length).toBe(corpus.length - 3);
  });
});

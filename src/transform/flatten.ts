import { toJsonSafe } from '../model/json-safe';
import type { FieldSchema, FieldType, JsonValue, ObjectSchema, Row, Value } from '../model/types';
import { configError } from '../errors';
import { coerce } from '../model/coerce';
import type { CompiledStep } from './compile';
import { childrenOf, withoutChildren, type NestedFieldSchema } from '../model/nested';
import type { StepOf } from './steps';
import { describeValue, isPlainObject } from '../model/values';

interface PlanNode {
  key: string;
  /** Set on leaves: the column the value lands in. */
  column?: string;
  type: FieldType;
  children?: PlanNode[];
}

function assertUnique(names: string[], where: string): void {
  const seen = new Set<string>();
  const dup = names.filter((n) => (seen.has(n) ? true : (seen.add(n), false)));
  if (dup.length) throw configError(`${where}: would produce duplicate field names: ${[...new Set(dup)].join(', ')}`);
}

/**
 * flatten: a described sub-document becomes one column per leaf (address.geo.lat → address_geo_lat),
 * at any depth. Leaves are converted to their described neutral type, so a nested date becomes a
 * timestamptz column and a nested Long an int64 column; arrays and shapeless objects stay json leaves.
 */
export function compileFlatten(step: StepOf<'flatten'>, schema: ObjectSchema, where: string): CompiledStep {
  const sep = step.separator;
  const wanted = step.fields ? new Set(step.fields) : null;
  if (wanted) {
    for (const name of wanted) {
      const f = schema.fields.find((x) => x.name === name);
      if (!f) throw configError(`${where}: unknown field ${name}; known: ${schema.fields.map((x) => x.name).join(', ')}`);
      if (schema.key.includes(name)) throw configError(`${where}: cannot flatten the key field "${name}"`);
      if (!childrenOf(f)) throw configError(`${where}: field ${name} has no described nested shape (only sampled sub-documents of a document store have one)`);
    }
  }
  const plans = new Map<string, PlanNode[]>();
  const fields: FieldSchema[] = [];
  // Every leaf column is nullable: the sub-document holding it may be missing.
  const build = (children: NestedFieldSchema[], prefix: string): PlanNode[] =>
    children.map((c) => {
      const name = `${prefix}${sep}${c.name}`;
      const nested = childrenOf(c);
      if (nested) return { key: c.name, type: c.type, children: build(nested, name) };
      fields.push({ ...withoutChildren(c), name, nullable: true });
      return { key: c.name, column: name, type: c.type };
    });
  for (const f of schema.fields) {
    const children = childrenOf(f);
    if (children && !schema.key.includes(f.name) && (!wanted || wanted.has(f.name))) plans.set(f.name, build(children, f.name));
    else fields.push(f);
  }
  assertUnique(
    fields.map((f) => f.name),
    where,
  );

  const reject = step.onUnknown === 'reject';
  const keysOf = new Map<PlanNode[], Set<string>>();
  const nullAll = (nodes: PlanNode[], out: Row) => {
    for (const n of nodes) {
      if (n.children) nullAll(n.children, out);
      else out[n.column!] = null;
    }
  };
  const spread = (nodes: PlanNode[], value: unknown, out: Row, path: string): void => {
    if (value === null || value === undefined) return nullAll(nodes, out);
    if (!isPlainObject(value)) throw new Error(`${path}: expected a nested object, got ${describeValue(value)}`);
    for (const n of nodes) {
      const v = value[n.key];
      if (n.children) spread(n.children, v, out, `${path}.${n.key}`);
      else {
        try {
          out[n.column!] = coerce(v as Value, n.type);
        } catch (err) {
          throw new Error(`${path}.${n.key}: ${(err as Error).message}`);
        }
      }
    }
    if (reject) {
      let known = keysOf.get(nodes);
      if (!known) keysOf.set(nodes, (known = new Set(nodes.map((n) => n.key))));
      const extra = Object.keys(value).filter((k) => !known.has(k) && value[k] !== undefined);
      if (extra.length)
        throw new Error(
          `${path}: key(s) ${extra.join(', ')} not in the described shape (the source's sample did not see them); ` +
            'raise the source sampleSize or set onUnknown: drop',
        );
    }
  };
  return {
    schema: { ...schema, fields },
    fn: (row) => {
      const out: Row = {};
      for (const k in row) if (!plans.has(k)) out[k] = row[k]!;
      for (const [name, nodes] of plans) spread(nodes, row[name], out, name);
      return out;
    },
  };
}

interface TreeNode {
  leaf?: FieldSchema;
  children?: Map<string, TreeNode>;
}

/**
 * unflatten: columns sharing a prefix become one nested json field again (address_city → address.city),
 * splitting the rest of each name on the separator. The field keeps the leaves' types as its nested
 * shape, so a document-store target restores dates and int64s. Null leaves are left out, and an object
 * whose leaves are all null becomes null: flatten does not tell "missing" from "null" either.
 */
export function compileUnflatten(step: StepOf<'unflatten'>, schema: ObjectSchema, where: string): CompiledStep {
  const sep = step.separator;
  let fields = [...schema.fields];
  const groups: { name: string; members: { column: string; path: string[] }[] }[] = [];
  for (const prefix of step.fields) {
    if (fields.some((f) => f.name === prefix)) throw configError(`${where}: a field named ${prefix} already exists`);
    const head = `${prefix}${sep}`;
    const members = fields.filter((f) => f.name.startsWith(head) && f.name.length > head.length);
    if (!members.length) throw configError(`${where}: no field starts with "${head}"`);
    const keyMember = members.find((m) => schema.key.includes(m.name));
    if (keyMember) throw configError(`${where}: cannot fold the key field "${keyMember.name}" into ${prefix}`);
    const root = new Map<string, TreeNode>();
    const group = { name: prefix, members: [] as { column: string; path: string[] }[] };
    for (const m of members) {
      const path = m.name.slice(head.length).split(sep);
      if (path.some((p) => p === '')) throw configError(`${where}: cannot split ${m.name} on "${sep}" (empty name part)`);
      let level = root;
      path.forEach((part, i) => {
        const node = level.get(part) ?? {};
        level.set(part, node);
        if (i === path.length - 1) {
          if (node.children || node.leaf) throw configError(`${where}: ${m.name} is both a value and an object inside ${prefix}`);
          node.leaf = m;
        } else {
          if (node.leaf) throw configError(`${where}: ${m.name} is both a value and an object inside ${prefix}`);
          node.children ??= new Map();
          level = node.children;
        }
      });
      group.members.push({ column: m.name, path });
    }
    const shape = (level: Map<string, TreeNode>): NestedFieldSchema[] =>
      [...level].map(([key, n]) =>
        n.leaf ? { ...withoutChildren(n.leaf), name: key, nullable: true } : { name: key, type: 'json', nullable: true, fields: shape(n.children!) },
      );
    const at = fields.indexOf(members[0]!);
    const memberSet = new Set(members);
    const folded: NestedFieldSchema = { name: prefix, type: 'json', nullable: true, fields: shape(root) };
    fields = [...fields.slice(0, at).filter((f) => !memberSet.has(f)), folded, ...fields.slice(at).filter((f) => !memberSet.has(f))];
    groups.push(group);
  }
  const folded = new Set(groups.flatMap((g) => g.members.map((m) => m.column)));
  return {
    schema: { ...schema, fields },
    fn: (row) => {
      const out: Row = {};
      for (const k in row) if (!folded.has(k)) out[k] = row[k]!;
      for (const g of groups) {
        let obj: Record<string, JsonValue> | null = null;
        for (const { column, path } of g.members) {
          const v = row[column];
          if (v === null || v === undefined) continue;
          obj ??= {};
          let level = obj;
          for (let i = 0; i < path.length - 1; i++) level = (level[path[i]!] ??= {}) as Record<string, JsonValue>;
          level[path[path.length - 1]!] = toJsonSafe(v);
        }
        out[g.name] = obj;
      }
      return out;
    },
  };
}

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InvalidSpecError } from './errors';
import { parseSpecText } from './spec';

/**
 * `datamigrato populate <url|file> --into <target>` as a job spec: the seed's `populate_mongo(url)` made a normal
 * migration (same engine, validation and report) whose source is a `file` endpoint. `--into` is a file or inline
 * YAML/JSON holding either a target endpoint or a whole job (its target, transform and options are kept).
 */
export interface PopulateOptions {
  into: string;
  format?: string;
  key?: string;
  compression?: string;
  name?: string;
  batchSize?: number;
  onRecordError?: string;
  onUnknownField?: string;
}

/** The text `--into` names: a file's contents when it names a file, else the value itself. */
async function intoText(into: string): Promise<{ text: string; where: string }> {
  const isFile = await fs.stat(into).then(
    (s) => s.isFile(),
    () => false,
  );
  return isFile ? { text: await fs.readFile(into, 'utf8'), where: into } : { text: into, where: '--into' };
}

/** A local path as the worker must see it: absolute (the worker's working directory is not the CLI's). */
const sourceUrl = (location: string) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(location) ? location : path.resolve(location));

const jobName = (location: string) => {
  const base = path
    .basename(location.replace(/[?#].*$/, ''))
    .replace(/\.(gz|gzip)$/i, '')
    .replace(/\.[^.]*$/, '');
  return `populate-${base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'file'}`.slice(0, 100);
};

export async function populateSpec(location: string, o: PopulateOptions): Promise<Record<string, unknown>> {
  const { text, where } = await intoText(o.into);
  const parsed = parseSpecText(text, where);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new InvalidSpecError([{ path: where, message: 'must be a target endpoint ({type, connection, …}) or a job with a target' }]);
  const doc = parsed as Record<string, unknown>;
  const job: Record<string, unknown> = 'target' in doc ? { ...doc } : { target: doc };
  const key = o.key?.includes(',') ? o.key.split(',').map((k) => k.trim()) : o.key;
  job.source = {
    type: 'file',
    url: sourceUrl(location),
    ...(o.format ? { format: o.format } : {}),
    ...(key ? { key } : {}),
    ...(o.compression ? { compression: o.compression } : {}),
  };
  job.name = o.name ?? job.name ?? jobName(location);
  // A file is read front to back: one partition, one chunk stream.
  job.parallelism ??= 1;
  job.partitions ??= 1;
  if (o.batchSize) job.batchSize = o.batchSize;
  if (o.onRecordError) job.onRecordError = o.onRecordError;
  if (o.onUnknownField) job.onUnknownField = o.onUnknownField;
  return job;
}

/**
 * Names shared by the workflow sandbox, the worker, the client and the scripts. Pure (no Node
 * built-ins, no Temporal) so workflows/ can import it.
 */

export const DEFAULT_TASK_QUEUE = 'datamigrato';

/** Custom search attributes; scripts/stack.sh and docker-compose.yml register the same list (a unit test checks). */
export const SEARCH_ATTRIBUTES = {
  status: { name: 'DatamigratoStatus', type: 'KEYWORD' },
  job: { name: 'DatamigratoJob', type: 'KEYWORD' },
  source: { name: 'DatamigratoSource', type: 'KEYWORD' },
  target: { name: 'DatamigratoTarget', type: 'KEYWORD' },
  rows: { name: 'DatamigratoRows', type: 'INT' },
} as const;

/** Job names are quoted into visibility queries unescaped, so the rule must exclude quotes. */
export const JOB_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const JOB_NAME_RULE = 'letters, digits, ".", "_" and "-" only, at most 100, starting with a letter or digit';

export const MIGRATION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$/;
export const MIGRATION_ID_RULE = 'letters, digits, ".", "_", ":", "@" and "-", at most 200, starting with a letter or digit';

/**
 * Readers of the spec's validation and repair options, free of zod and of every other import so workflows
 * can use them. They accept specs recorded before the options existed (replayed histories).
 */
export const VALIDATION_MODES = ['counts', 'checksums', 'full', 'sample'] as const;
export type ValidationMode = (typeof VALIDATION_MODES)[number];

export interface RepairOptions {
  enabled: boolean;
  deleteExtra: boolean;
}

/** `repair: true | { deleteExtra }` as one shape; absent in specs recorded before repair existed. */
export function repairOptionsOf(spec: { repair?: boolean | { enabled?: boolean; deleteExtra?: boolean } }): RepairOptions {
  const r = spec.repair;
  if (r === undefined || typeof r === 'boolean') return { enabled: r === true, deleteExtra: false };
  return { enabled: r.enabled ?? true, deleteExtra: r.deleteExtra ?? false };
}

/** The validation mode; specs recorded before modes existed validate by checksums. */
export const validationModeOf = (spec: { validate: { mode?: ValidationMode } }): ValidationMode => spec.validate.mode ?? 'checksums';

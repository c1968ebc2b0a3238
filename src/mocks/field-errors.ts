/** One field-level validation error as the mocks report it. */
export interface FieldError {
  /** Dot path of the field, e.g. `customerInfo.contactEmail`; `(body)` for the body as a whole. */
  field: string;
  message: string;
}

/** The parts of an ajv error the mocks read (fastify passes ajv's errors through as `error.validation`). */
export interface ValidationIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string | undefined;
}

function toDotPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function join(path: string, name: unknown): string {
  return path === '' ? String(name) : `${path}.${String(name)}`;
}

/** Turns ajv errors into readable `{field, message}` pairs, naming the missing or unexpected property itself. */
export function toFieldErrors(issues: readonly ValidationIssue[], root = '(body)'): FieldError[] {
  return issues.map((issue) => {
    const path = toDotPath(issue.instancePath);
    if (issue.keyword === 'required')
      return { field: join(path, issue.params.missingProperty), message: 'is required' };
    if (issue.keyword === 'additionalProperties')
      return { field: join(path, issue.params.additionalProperty), message: 'is not allowed' };
    return { field: path === '' ? root : path, message: issue.message ?? issue.keyword };
  });
}

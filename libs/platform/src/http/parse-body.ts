import type { z } from 'zod';
import { describeViolations, GrpcCode, KeelError, type Violation, validationError } from '../errors/keel-error.js';

type ZodIssue = z.ZodError['issues'][number];

/** A dotted path into the body (`messages.0.content`); the body itself is `(body)`. */
function fieldOf(issue: ZodIssue): string {
  return issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)';
}

function messageOf(issue: ZodIssue): string {
  // zod says "Invalid input: expected string, received undefined"; callers understand "Required".
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'Required';
  return issue.message;
}

/** The violations of a failed parse, one per field, in the order zod reports them. */
export function violationsOf(error: z.ZodError): Violation[] {
  return error.issues.map((issue) => ({ field: fieldOf(issue), message: messageOf(issue) }));
}

/**
 * Validates a request body. Failures throw a 400 validationError naming each field, e.g.
 * `errors: [{ field: 'text', message: 'Required' }]` with detail `invalid request body: text: Required`.
 * An absent body (no body, or one not sent as JSON) is a 400 `HTTP.JSON_BODY_REQUIRED` saying so.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined) {
    throw new KeelError('expected a JSON request body sent with Content-Type: application/json', {
      code: 'HTTP.JSON_BODY_REQUIRED',
      httpStatus: 400,
      grpcCode: GrpcCode.INVALID_ARGUMENT,
      retryable: false,
      violations: [{ field: '(body)', message: 'Required' }],
    });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const received = body === null ? 'null' : Array.isArray(body) ? 'an array' : `a ${typeof body}`;
    throw validationError(
      [{ field: '(body)', message: `must be a JSON object, received ${received}` }],
      `invalid request body: (body): must be a JSON object, received ${received}`,
      'HTTP.BODY_NOT_OBJECT',
    );
  }
  // reportInput lets messageOf tell a missing field from a wrong one; inputs are never echoed.
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return result.data;
  const violations = violationsOf(result.error);
  throw validationError(violations, `invalid request body: ${describeViolations(violations)}`);
}

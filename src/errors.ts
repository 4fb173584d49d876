// ApiError and its subclasses: services throw these; src/api/errors-plugin.ts renders every one
// (and every framework error) as the Kubernetes-style Status body of decisions.md.
import { Type as t, type Static } from '@sinclair/typebox';

export const Cause = t.Object({ field: t.String(), message: t.String() });
export type Cause = Static<typeof Cause>;

export const StatusBody = t.Object(
  {
    kind: t.Literal('Status'),
    apiVersion: t.Literal('v1'),
    status: t.Literal('Failure'),
    code: t.Integer(),
    reason: t.String(),
    message: t.String(),
    details: t.Optional(
      t.Object({
        kind: t.Optional(t.String()),
        name: t.Optional(t.String()),
        causes: t.Optional(t.Array(Cause)),
      }),
    ),
  },
  { $id: 'Status', description: 'Error body returned by every failing request.' },
);
export type StatusBody = Static<typeof StatusBody>;

export interface ErrorDetails {
  kind?: string;
  name?: string;
  causes?: Cause[];
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: ErrorDetails,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  toStatus(): StatusBody {
    const body: StatusBody = {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code: this.code,
      reason: this.reason,
      message: this.message,
    };
    if (this.details && Object.keys(this.details).length > 0) body.details = this.details;
    return body;
  }
}

export class BadRequest extends ApiError {
  constructor(message: string, details?: ErrorDetails) {
    super(400, 'BadRequest', message, details);
  }
}

export class Invalid extends ApiError {
  constructor(kind: string, name: string, readonly causes: Cause[]) {
    const summary = causes.map((c) => `${c.field}: ${c.message}`).join('; ');
    super(400, 'Invalid', `${kind}${name ? ` "${name}"` : ''} is invalid: ${summary}`, name ? { kind, name, causes } : { kind, causes });
  }
}

export class Unauthorized extends ApiError {
  constructor(message = 'authentication required') {
    super(401, 'Unauthorized', message);
  }
}

export class Forbidden extends ApiError {
  constructor(message = 'forbidden') {
    super(403, 'Forbidden', message);
  }
}

export class NotFound extends ApiError {
  constructor(kind: string, name: string, message?: string) {
    super(404, 'NotFound', message ?? `${kind} "${name}" not found`, { kind, name });
  }
}

export class MethodNotAllowed extends ApiError {
  constructor(method: string, path: string, allowed: string[]) {
    super(405, 'MethodNotAllowed', `method ${method} is not allowed on ${path}`, undefined, {
      Allow: allowed.join(', '),
    });
  }
}

export class Conflict extends ApiError {
  constructor(message: string, details?: ErrorDetails) {
    super(409, 'Conflict', message, details);
  }
}

export class AlreadyExists extends ApiError {
  constructor(kind: string, name: string) {
    super(409, 'AlreadyExists', `${kind} "${name}" already exists`, { kind, name });
  }
}

export class Gone extends ApiError {
  constructor(message: string) {
    super(410, 'Gone', message);
  }
}

export class PreconditionRequired extends ApiError {
  constructor(kind: string, name: string) {
    super(
      428,
      'PreconditionRequired',
      `updating ${kind} "${name}" needs an If-Match header or metadata.resourceVersion`,
      { kind, name },
    );
  }
}

export class PayloadTooLarge extends ApiError {
  constructor(limit: number) {
    super(413, 'RequestEntityTooLarge', `request body is larger than ${limit} bytes`);
  }
}

export class UnsupportedMediaType extends ApiError {
  constructor(type: string) {
    super(
      415,
      'UnsupportedMediaType',
      `unsupported Content-Type "${type}": send application/json or application/yaml`,
    );
  }
}

export class TooManyRequests extends ApiError {
  constructor(message: string, retryAfterSeconds: number) {
    super(429, 'TooManyRequests', message, undefined, { 'Retry-After': String(retryAfterSeconds) });
  }
}

/**
 * The client went away before its request body arrived whole (nginx's 499). Nobody reads the
 * answer; the code is for the request metric and the log, which treat it as the client's doing.
 */
export class ClientClosedRequest extends ApiError {
  constructor() {
    super(499, 'ClientClosedRequest', 'the client closed the connection before the request body arrived');
  }
}

/**
 * The data directory's disk is full (SQLite's "database or disk is full"). The path is where the
 * operator must free space; deletes still work (docs/api.md, "When the disk is full").
 */
export class InsufficientStorage extends ApiError {
  constructor(dataDir: string) {
    super(507, 'InsufficientStorage', `the data directory ${dataDir} is full: delete objects or free disk space there, then retry`);
  }
}

/** A backend the server calls on the caller's behalf (a memory service) answered with a failure. */
export class BadGateway extends ApiError {
  constructor(message: string) {
    super(502, 'BadGateway', message);
  }
}

export class ServiceUnavailable extends ApiError {
  constructor(message: string) {
    super(503, 'ServiceUnavailable', message);
  }
}

export class InternalError extends ApiError {
  constructor() {
    super(500, 'InternalError', 'internal error');
  }
}

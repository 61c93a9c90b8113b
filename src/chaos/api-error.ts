/**
 * The one error type of the Toxiproxy-compatible API: a message and an HTTP status, rendered by
 * `api.ts` as `{"error":"<message>","status":<code>}`. Toxiproxy's fixed messages live here.
 */

/** An API failure with Toxiproxy's wording and status. */
export class ApiError extends Error {
  constructor(
    message: string,
    /** HTTP status, e.g. 404. */
    readonly status: number,
  ) {
    super(message);
  }
}

/** Toxiproxy's fixed API errors (message, status). */
export const ApiErrors = {
  proxyNotFound: () => new ApiError('proxy not found', 404),
  proxyExists: () => new ApiError('proxy already exists', 409),
  invalidStream: () => new ApiError('stream was invalid, can be either upstream or downstream', 400),
  invalidToxicType: () => new ApiError('invalid toxic type', 400),
  toxicExists: () => new ApiError('toxic already exists', 409),
  toxicNotFound: () => new ApiError('toxic not found', 404),
  missingField: (what: string) => new ApiError(`missing required field: ${what}`, 400),
  badBody: (detail: string) => new ApiError(`bad request body: ${detail}`, 400),
} as const;

/**
 * Load-time checks of the JSON paths a scenario names (a step's `extract` and `until.path`, an
 * `exactly_once` invariant's `key` and `effects.list`), so a malformed path is a usage error at
 * its `FILE:LINE:COL` with its field path, not a surprise mid-run. One function for every place
 * that takes a path, including step kinds added later.
 */
import { pathProblem } from '../workflow/path.js';
import type { FieldPath, ValidationIssue } from './validate-issue.js';

/**
 * Reports `value` at `where` when it is a string that is not a path (src/workflow/path.ts), with
 * the offset of the character where reading stopped. Non-strings and empty strings are the schema's to report.
 */
export function checkJsonPath(value: unknown, where: FieldPath, out: ValidationIssue[]): void {
  if (typeof value !== 'string' || value === '') return;
  const problem = pathProblem(value);
  if (problem === undefined) return;
  out.push({
    path: where,
    message: `cannot read the path at column ${problem.offset + 1}: ${problem.message}, expected a path such as result.id, items[0].id or meta["a key"]`,
    offset: problem.offset,
  });
}

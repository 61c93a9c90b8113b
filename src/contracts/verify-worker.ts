/**
 * The worker process of `contracts verify`: receives one {@link VerifyJob} over IPC, runs it, sends
 * the result (or the error) back and exits. Its stdout carries Pact's native output only.
 */
import { isAgentcheckError } from '../errors.js';
import { runVerifyJob, type VerifyJob, type VerifyJobAnswer } from './verify-job.js';

process.env['PACT_DO_NOT_TRACK'] ??= 'true';

process.once('message', (job: VerifyJob) => {
  void (async () => {
    let answer: VerifyJobAnswer;
    try {
      answer = { ok: true, verification: await runVerifyJob(job) };
    } catch (err) {
      answer = isAgentcheckError(err)
        ? { ok: false, error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } }
        : { ok: false, error: { code: 'unexpected', message: err instanceof Error ? err.message : String(err), ...(err instanceof Error && err.stack ? { stack: err.stack } : {}) } };
    }
    // Exit once the answer is out: Pact's native core may keep the event loop alive.
    process.send?.(answer, () => process.exit(0));
  })();
});

// Request bodies are read whole with a size cap: an agent under a slow_close or bandwidth toxic
// must not buffer without bound, and an oversized body is the client's error (413), not ours.

/** Default body cap in bytes (1 MiB); BODY_LIMIT_BYTES overrides it. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * Read and parse a JSON request body.
 * Resolves `{ok:true, value, raw}` or `{ok:false, status, error, raw?}` (400 not JSON, 413 too large).
 */
export function readJsonBody(req, limit = DEFAULT_BODY_LIMIT) {
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0;
    let done = false;
    const finish = (result) => {
      if (done) return;
      done = true;
      resolve(result);
    };
    req.on('data', (chunk) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        // Stop buffering but let the rest drain so the 413 can still be written on this socket.
        finish({ ok: false, status: 413, error: `request body exceeds ${limit} bytes` });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (raw.trim() === '') return finish({ ok: false, status: 400, error: 'request body is empty (expected JSON)', raw });
      try {
        finish({ ok: true, value: JSON.parse(raw), raw });
      } catch {
        finish({ ok: false, status: 400, error: 'request body is not valid JSON', raw });
      }
    });
    req.on('error', () => finish({ ok: false, status: 400, error: 'request body could not be read' }));
    req.on('close', () => finish({ ok: false, status: 400, error: 'connection closed before the body was complete' }));
  });
}

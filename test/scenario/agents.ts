/**
 * Tiny real agents for scenario tests of fault decisions: a `front` that forwards `POST /pay` to
 * `$BACK_URL/charges` with the caller's traceparent and Idempotency-Key, and a plain `back`.
 */
import path from 'node:path';

/** The repository root. */
export const root = path.resolve(__dirname, '../..');

/** argv (JSON) of an agent that forwards POST /pay to `$<env>/charges`, propagating trace context and key. */
export function forwarder(env: string): string {
  return JSON.stringify([
    'node',
    '-e',
    `const http=require('http');http.createServer((q,s)=>{if(q.url==='/healthz'){s.end('ok');return}let b='';q.on('data',c=>b+=c);q.on('end',async()=>{` +
      `const h={'content-type':'application/json','idempotency-key':q.headers['idempotency-key']};if(q.headers.traceparent)h.traceparent=q.headers.traceparent;` +
      `try{const r=await fetch(process.env.${env}+'/charges',{method:'POST',headers:h,body:b});s.statusCode=r.status;s.end(await r.text())}catch(e){s.statusCode=502;s.end(String(e))}})})` +
      `.listen(+process.env.PORT,process.env.HOST)`,
  ]);
}

/** argv (JSON) of an agent that answers every request `{"ok":true}`. */
export const okServer = JSON.stringify([
  'node',
  '-e',
  `require('http').createServer((q,s)=>{q.resume();q.on('end',()=>{s.setHeader('content-type','application/json');s.end('{"ok":true}')})}).listen(+process.env.PORT,process.env.HOST)`,
]);

// Readiness probe for an HTTP endpoint (Qdrant's GET /readyz), used by tools/infra/infra.sh
// start. Node built-ins only, on purpose: `start` runs in a fresh CI clone before any `npm ci`,
// and curl is not on every machine.
//
// It repeats GET <url> until the answer is 200 (Qdrant answers /readyz with 503 while shards
// are still loading).
//
// Usage: node http-ready.mjs <name> <url> <timeoutSeconds>
// Exit 0 when ready, 1 on timeout (last error or answer printed to stderr).
const [name = 'service', url = 'http://127.0.0.1:6333/readyz', timeoutSeconds = '60'] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutSeconds) * 1000;

let last = 'no answer';
while (Date.now() < deadline) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    const body = (await response.text()).trim().slice(0, 200);
    if (response.status === 200) {
      console.log(`${name} ready: GET ${url} answered 200 ${body}`);
      process.exit(0);
    }
    last = `HTTP ${response.status} ${body}`;
  } catch (e) {
    last = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
  }
  await new Promise((r) => setTimeout(r, 200));
}
console.error(`${name} not ready at ${url}: ${last}`);
process.exit(1);

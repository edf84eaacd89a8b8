// Readiness probe for the local MongoDB-compatible server (FerretDB), used by
// tools/infra/infra.sh start. Node built-ins only, on purpose: `start` runs in
// a fresh CI clone before any `npm ci`, so no driver can be assumed.
//
// It sends a real {ping: 1} OP_MSG over the wire and waits for {ok: 1}; a mere
// TCP connect would succeed before FerretDB's SQLite backend is usable.
//
// Usage: node mongo-ping.mjs <host> <port> <timeoutSeconds>
// Exit 0 when ready, 1 on timeout (last error printed to stderr).
import net from 'node:net';

const [host = '127.0.0.1', port = '27017', timeoutSeconds = '60'] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutSeconds) * 1000;
const OP_MSG = 2013;

// BSON for {ping: 1, $db: "admin"}.
function pingDocument() {
  const parts = [
    // ping: int32 1
    Buffer.from([0x10]),
    Buffer.from('ping\0'),
    int32(1),
    // $db: string "admin" (length includes the trailing NUL)
    Buffer.from([0x02]),
    Buffer.from('$db\0'),
    int32(6),
    Buffer.from('admin\0'),
    // end of document
    Buffer.from([0x00]),
  ];
  const body = Buffer.concat(parts);
  return Buffer.concat([int32(body.length + 4), body]);
}

function int32(n) {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
}

function opMsg(doc) {
  // header(16) + flagBits(4) + section kind 0 (1) + document
  const length = 16 + 4 + 1 + doc.length;
  const header = Buffer.alloc(21);
  header.writeInt32LE(length, 0);
  header.writeInt32LE(1, 4); // requestID
  header.writeInt32LE(0, 8); // responseTo
  header.writeInt32LE(OP_MSG, 12);
  header.writeUInt32LE(0, 16); // flagBits
  header.writeUInt8(0, 20); // section kind 0: body
  return Buffer.concat([header, doc]);
}

// Reads the top-level "ok" field of the reply document (double or int32).
function okValue(reply) {
  const doc = reply.subarray(21);
  let i = 4;
  while (i < doc.length && doc[i] !== 0x00) {
    const type = doc[i];
    const nameEnd = doc.indexOf(0x00, i + 1);
    const name = doc.toString('utf8', i + 1, nameEnd);
    i = nameEnd + 1;
    if (name === 'ok') {
      if (type === 0x01) return doc.readDoubleLE(i);
      if (type === 0x10) return doc.readInt32LE(i);
      return undefined;
    }
    // Skip the value of the few types a ping reply can carry.
    if (type === 0x01 || type === 0x12 || type === 0x09) i += 8;
    else if (type === 0x10) i += 4;
    else if (type === 0x08) i += 1;
    else if (type === 0x02) i += 4 + doc.readInt32LE(i);
    else if (type === 0x03 || type === 0x04) i += doc.readInt32LE(i);
    else return undefined;
  }
  return undefined;
}

function pingOnce() {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: Number(port) });
    let buf = Buffer.alloc(0);
    socket.setTimeout(3000, () => socket.destroy(new Error('ping timed out')));
    socket.on('connect', () => socket.write(opMsg(pingDocument())));
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 4 && buf.length >= buf.readInt32LE(0)) {
        socket.end();
        const ok = okValue(buf);
        if (ok === 1) resolve();
        else reject(new Error(`ping answered without ok:1 (ok=${ok})`));
      }
    });
    socket.on('error', reject);
  });
}

let lastError;
while (Date.now() < deadline) {
  try {
    await pingOnce();
    console.log(`mongodb ready: ping ok at ${host}:${port}`);
    process.exit(0);
  } catch (e) {
    lastError = e;
    await new Promise((r) => setTimeout(r, 200));
  }
}
console.error(`mongodb not ready at ${host}:${port}: ${lastError ? lastError.message : 'timeout'}`);
process.exit(1);

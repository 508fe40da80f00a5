// Node `ws` echo client for `cargo xtask interop`.
//
// Usage: node echo_client.mjs URL [--expect-declined | --tight]
//
// Connects to an echo server (sockeye's `echo_server` example) with permessage-deflate offered
// (the ws client default), checks that every kind of message comes back unchanged, that pings
// get pongs and that the close handshake completes with 1000. With --expect-declined, the
// server is expected to decline permessage-deflate and send uncompressed frames. With --tight,
// the offer asks for 10-bit windows and no context takeover both ways, which the server must
// honour when it compresses, and every message is compressed, however short.
//
// Prints one `ok` or `FAIL` line per check and exits 0 only if every check passed.

import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import WebSocket from 'ws';

// Every wait is bounded, so a broken peer fails the check instead of hanging the run.
const TIMEOUT_MS = 30_000;
const MIB = 1 << 20;
const NAME = 'node client';

const args = process.argv.slice(2);
const expectDeflate = !args.includes('--expect-declined');
const tight = args.includes('--tight');
const urls = args.filter((a) => !a.startsWith('--'));
const flags = args.filter((a) => a.startsWith('--')).join(' ');
if (urls.length !== 1 || !['', '--expect-declined', '--tight'].includes(flags)) {
  console.error('usage: echo_client.mjs URL [--expect-declined | --tight]');
  process.exit(2);
}
const wsVersion = createRequire(import.meta.url)('ws/package.json').version;
console.log(`${NAME}: ws ${wsVersion}, node ${process.version}`);

let passed = 0;
let failed = 0;
function ok(name, detail) {
  passed += 1;
  console.log(`ok    ${NAME}: ${name}${detail ? ` (${detail})` : ''}`);
}
function fail(name, why) {
  failed += 1;
  console.log(`FAIL  ${NAME}: ${name}: ${why}`);
}

function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function compressibleText(size) {
  const lines = [];
  let total = 0;
  for (let n = 0; total < size; n += 1) {
    const line = `line ${n}: the quick brown fox jumps over the lazy dog\n`;
    lines.push(line);
    total += line.length;
  }
  return lines.join('').slice(0, size);
}

// The ws client default offer is `permessage-deflate; client_max_window_bits`.
const perMessageDeflate = tight
  ? {
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 10,
      threshold: 0,
    }
  : true;
const ws = new WebSocket(urls[0], {
  maxPayload: 16 * MIB,
  handshakeTimeout: TIMEOUT_MS,
  perMessageDeflate,
});

// Messages, pongs and the close event arrive as events; each is queued until awaited.
const queues = { message: [], pong: [] };
const waiters = { message: [], pong: [] };
function push(kind, value) {
  const waiter = waiters[kind].shift();
  if (waiter) waiter(value);
  else queues[kind].push(value);
}
function next(kind) {
  if (queues[kind].length > 0) return Promise.resolve(queues[kind].shift());
  return new Promise((resolve) => waiters[kind].push(resolve));
}
ws.on('message', (data, isBinary) => push('message', { data, isBinary }));
ws.on('pong', (data) => push('pong', data));
const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason })));
const errors = [];
ws.on('error', (e) => errors.push(e));

let socket = null;
let offer = '';
let answer = '';
ws.on('upgrade', (res) => {
  socket = res.socket;
  // Diagnostic only: ws keeps its upgrade request in a private field until the upgrade.
  offer = ws._req?.getHeader('sec-websocket-extensions') ?? '';
  answer = res.headers['sec-websocket-extensions'] ?? '';
});
const opened = new Promise((resolve, reject) => {
  ws.once('open', resolve);
  ws.once('error', reject);
  ws.once('close', () => reject(new Error('closed before the handshake completed')));
});

// Sends `message` (a string or a Buffer; an array is sent as one fragmented message) and
// waits for its echo. Returns what is wrong with the echo, or null.
async function echoed(message) {
  const parts = Array.isArray(message) ? message : [message];
  parts.forEach((part, i) => ws.send(part, { fin: i === parts.length - 1 }));
  const expected = Array.isArray(message) ? message.join('') : message;
  const wantBinary = Buffer.isBuffer(expected);
  const { data, isBinary } = await withTimeout(next('message'), 'echo');
  if (isBinary !== wantBinary) {
    return `sent ${wantBinary ? 'binary' : 'text'}, got ${isBinary ? 'binary' : 'text'} back`;
  }
  const same = wantBinary ? data.equals(expected) : data.toString('utf8') === expected;
  return same ? null : `the reply differs: ${data.length} bytes back`;
}

async function echo(message, name) {
  const wrong = await echoed(message);
  if (wrong === null) ok(name);
  else fail(name, wrong);
}

async function main() {
  await withTimeout(opened, 'opening handshake');
  const exchange = `offered '${offer}', server answered '${answer}', negotiated '${ws.extensions}'`;
  if (expectDeflate) {
    if (answer.includes('permessage-deflate') && ws.extensions === 'permessage-deflate') {
      ok('negotiated permessage-deflate', exchange);
    } else {
      fail('negotiated permessage-deflate', exchange);
    }
  } else if (answer === '' && ws.extensions === '') {
    ok('server declined permessage-deflate', exchange);
  } else {
    fail('server declined permessage-deflate', exchange);
  }

  await echo('hello from ws', 'text');
  await echo(Buffer.from(Array.from({ length: 256 }, (_, i) => i)), 'binary');
  await echo('', 'empty text');
  await echo(Buffer.alloc(0), 'empty binary');
  await echo('wide wörld ✓ 日本語 🦀 ∮ E⋅da = Q', 'UTF-8 multi-byte text');

  // The 1 MiB compressible text: the echo must come back, and compressed if negotiated.
  let before = socket.bytesRead;
  await echo(compressibleText(MIB), '1 MiB compressible text');
  const wire = socket.bytesRead - before;
  if (expectDeflate && wire < MIB / 4) {
    ok('server compressed the 1 MiB text', `${wire} bytes on the wire`);
  } else if (!expectDeflate && wire > MIB) {
    ok('server sent the 1 MiB text uncompressed', `${wire} bytes on the wire`);
  } else {
    fail('compression of the 1 MiB text', `${wire} bytes on the wire`);
  }

  await echo(randomBytes(MIB), '1 MiB random binary');
  // Matches 8000 bytes back are out of reach of a window smaller than 13 bits (8 KiB): both
  // ends must use the window sizes they agreed on.
  const far = randomBytes(6000).toString('base64').repeat(9).slice(0, 64_000);
  await echo(far, '64 kB text repeating every 8000 bytes');
  // By default ws compresses only messages of 1024 bytes or more, so this one goes out
  // uncompressed even when permessage-deflate was negotiated (except with --tight).
  await echo(['frag', 'mented ', 'tëxt'], 'fragmented text (3 frames)');
  await echo(['x'.repeat(3000), 'y'.repeat(3000), 'z'.repeat(3000)], 'fragmented 9 kB text (3 frames)');

  // Repeats exercise the compression context carried from message to message.
  const repeated = compressibleText(10_000);
  before = socket.bytesRead;
  const wrongs = [];
  for (let i = 0; i < 20; i += 1) {
    const wrong = await echoed(repeated);
    if (wrong !== null) wrongs.push(wrong);
  }
  const name = `20 repeated 10 kB texts (${tight ? 'no ' : ''}context takeover)`;
  if (wrongs.length === 0) ok(name, `${socket.bytesRead - before} bytes on the wire`);
  else fail(name, wrongs[0]);

  for (const payload of [Buffer.from('ping payload'), Buffer.alloc(0)]) {
    const check = `ping with ${payload.length} bytes gets a pong`;
    ws.ping(payload);
    try {
      const pong = await withTimeout(next('pong'), 'pong');
      if (pong.equals(payload)) ok(check);
      else fail(check, `the pong carried ${pong.length} other bytes`);
    } catch (e) {
      fail(check, e.message);
    }
  }
  await echo('after the pings', 'text after pings');

  ws.close(1000);
  const { code } = await withTimeout(closed, 'closing handshake');
  if (code === 1000) ok('close handshake completed', `server answered ${code}`);
  else fail('close handshake completed', `close event with code ${code}`);
}

try {
  await main();
} catch (e) {
  fail('run', e.message);
  ws.terminate();
}
for (const e of errors) fail('error event', e.message);
console.log(`${NAME}: ${passed} checks ok, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

// Node `ws` echo server for `cargo xtask interop`.
//
// Usage: node echo_server.mjs --port PORT [--no-deflate | --tight]
//
// Listens on 127.0.0.1:PORT only and echoes every message as the same type. permessage-deflate
// is accepted when offered unless --no-deflate is given (ws's server leaves it off by default,
// unlike its client, so it is switched on here with ws's default settings, which compress only
// messages of 1024 bytes or more). With --tight, the server asks for 10-bit windows and no
// context takeover both ways, which the client must honour when it compresses, and compresses
// every message, however short. Two text messages are answered instead of echoed, so that a
// client can check what happened:
//
// - `__extensions__`: the `Sec-WebSocket-Extensions` header this server answered with (an
//   empty string if none), so the client can verify that permessage-deflate was negotiated;
// - `__wire__`: how many bytes this server has read from the TCP connection so far (handshake
//   included), so the client can verify that its messages were compressed;
// - `__ping__`: the server pings the client and answers `pong received` once the pong is back
//   (or `no pong` after 10 seconds).
//
// Prints one line when it listens and one line per closed connection with the close code the
// client sent, so the caller can check that the close handshake completed.

import { createRequire } from 'node:module';
import { WebSocketServer } from 'ws';

const MIB = 1 << 20;
const PONG_TIMEOUT_MS = 10_000;
const DESCRIPTION = {
  '': 'accepted',
  '--no-deflate': 'declined',
  '--tight': 'accepted with 10-bit windows, no context takeover',
};
const args = process.argv.slice(2);
const port = Number(args[1]);
const extra = args.slice(2);
if (
  args[0] !== '--port' ||
  !Number.isInteger(port) ||
  !(extra.length === 0 || (extra.length === 1 && ['--no-deflate', '--tight'].includes(extra[0])))
) {
  console.error('usage: echo_server.mjs --port PORT [--no-deflate | --tight]');
  process.exit(2);
}
const mode = extra[0] ?? '';
const perMessageDeflate = {
  '': true,
  '--no-deflate': false,
  '--tight': {
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    serverMaxWindowBits: 10,
    clientMaxWindowBits: 10,
    threshold: 0,
  },
}[mode];
const wsVersion = createRequire(import.meta.url)('ws/package.json').version;

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port,
  perMessageDeflate,
  maxPayload: 64 * MIB,
});

// The response header lines are only visible in the `headers` event, before the connection.
const answered = new WeakMap();
wss.on('headers', (headers, req) => {
  const line = headers.find((h) => h.toLowerCase().startsWith('sec-websocket-extensions:'));
  answered.set(req, line ? line.slice(line.indexOf(':') + 1).trim() : '');
});

wss.on('connection', (ws, req) => {
  const socket = req.socket;
  ws.on('message', (data, isBinary) => {
    const text = isBinary ? null : data.toString('utf8');
    if (text === '__extensions__') ws.send(answered.get(req) ?? '');
    else if (text === '__wire__') ws.send(String(socket.bytesRead));
    else if (text === '__ping__') {
      const payload = Buffer.from('from the node server');
      const timer = setTimeout(() => {
        ws.off('pong', onPong);
        ws.send('no pong');
      }, PONG_TIMEOUT_MS);
      const onPong = (data) => {
        if (!data.equals(payload)) return;
        clearTimeout(timer);
        ws.off('pong', onPong);
        ws.send('pong received');
      };
      ws.on('pong', onPong);
      ws.ping(payload);
    }
    else ws.send(data, { binary: isBinary });
  });
  ws.on('error', (e) => console.error(`node server: ${e.message}`));
  ws.on('close', (code) => {
    console.log(`node server: connection closed, close frame from the client: ${code}`);
  });
});

wss.on('listening', () => {
  console.log(
    `node server: ws ${wsVersion}, node ${process.version}, listening on ` +
      `ws://127.0.0.1:${port}, permessage-deflate ${DESCRIPTION[mode]}`,
  );
});
wss.on('error', (e) => {
  console.error(`node server: ${e.message}`);
  process.exit(1);
});

"""Python `websockets` echo server for `cargo xtask interop`.

Usage: python echo_server.py --port PORT [--no-deflate | --tight]

Listens on 127.0.0.1:PORT only and echoes every message as the same type. permessage-deflate
is accepted when offered (the websockets default: 12-bit windows both ways) unless
--no-deflate is given. With --tight, the server asks for 10-bit windows and no context
takeover both ways, which the client must honour when it compresses. Two text
messages are answered instead of echoed, so that a client can check what happened:

- `__extensions__`: the `Sec-WebSocket-Extensions` header this server answered with (an empty
  string if none), so the client can verify that permessage-deflate was negotiated;
- `__wire__`: how many bytes this server has read from the TCP connection so far (handshake
  included), so the client can verify that its messages were compressed;
- `__ping__`: the server pings the client and answers `pong received` once the pong is back
  (or `no pong` after 10 seconds).

Prints one line when it listens and one line per closed connection with the close code the
client sent, so the caller can check that the close handshake completed.
"""

import asyncio
import sys

import websockets
from websockets.asyncio.server import ServerConnection, serve
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

MIB = 1 << 20
PONG_TIMEOUT = 10.0
DESCRIPTION = {
    "": "accepted",
    "--no-deflate": "declined",
    "--tight": "accepted with 10-bit windows, no context takeover",
}


class CountingConnection(ServerConnection):
    """Counts the bytes read from the TCP socket."""

    bytes_read = 0

    def data_received(self, data: bytes) -> None:
        self.bytes_read += len(data)
        super().data_received(data)


async def handler(ws: CountingConnection) -> None:
    # Iteration ends when the client closes normally and raises if the connection fails.
    try:
        async for message in ws:
            if message == "__extensions__":
                await ws.send(ws.response.headers.get("Sec-WebSocket-Extensions", ""))
            elif message == "__wire__":
                await ws.send(str(ws.bytes_read))
            elif message == "__ping__":
                pong = await ws.ping(b"from the python server")
                try:
                    await asyncio.wait_for(pong, PONG_TIMEOUT)
                    await ws.send("pong received")
                except asyncio.TimeoutError:
                    await ws.send("no pong")
            else:
                await ws.send(message)
    finally:
        await ws.wait_closed()
        rcvd = ws.protocol.close_rcvd
        code = "none" if rcvd is None else rcvd.code
        print(f"python server: connection closed, close frame from the client: {code}", flush=True)


async def main(port: int, mode: str) -> None:
    if mode == "--tight":
        compression = {
            "compression": None,
            "extensions": [
                ServerPerMessageDeflateFactory(
                    server_no_context_takeover=True,
                    client_no_context_takeover=True,
                    server_max_window_bits=10,
                    client_max_window_bits=10,
                )
            ],
        }
    elif mode == "--no-deflate":
        compression = {"compression": None}
    else:
        compression = {"compression": "deflate"}
    async with serve(
        handler,
        "127.0.0.1",
        port,
        **compression,
        max_size=64 * MIB,
        # No keepalive pings: the only pings are the ones `__ping__` asks for.
        ping_interval=None,
        create_connection=CountingConnection,
    ) as server:
        print(
            f"python server: websockets {websockets.__version__}, listening on "
            f"ws://127.0.0.1:{port}, permessage-deflate {DESCRIPTION[mode]}",
            flush=True,
        )
        await server.serve_forever()


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) < 2 or args[0] != "--port" or args[2:] not in ([], ["--no-deflate"], ["--tight"]):
        print("usage: echo_server.py --port PORT [--no-deflate | --tight]", file=sys.stderr)
        sys.exit(2)
    asyncio.run(main(int(args[1]), "".join(args[2:])))

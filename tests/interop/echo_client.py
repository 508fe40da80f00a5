"""Python `websockets` echo client for `cargo xtask interop`.

Usage: python echo_client.py URL [--expect-declined | --tight]

Connects to an echo server (sockeye's `echo_server` example) with permessage-deflate offered
(the websockets default), checks that every kind of message comes back unchanged, that pings
get pongs and that the close handshake completes with 1000. With --expect-declined, the
server is expected to decline permessage-deflate and send uncompressed frames. With --tight,
the offer asks for 10-bit windows and no context takeover both ways, which the server must
honour when it compresses.

Prints one `ok` or `FAIL` line per check and exits 0 only if every check passed.
"""

import asyncio
import base64
import os
import sys

import websockets
from websockets.asyncio.client import ClientConnection, connect
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

# Every wait is bounded, so a broken peer fails the check instead of hanging the run.
TIMEOUT = 30.0
MIB = 1 << 20

NAME = "python client"


class CountingConnection(ClientConnection):
    """Counts the bytes read from the TCP socket, to tell compressed frames from plain ones."""

    bytes_read = 0

    def data_received(self, data: bytes) -> None:
        self.bytes_read += len(data)
        super().data_received(data)


def compressible_text(size: int) -> str:
    lines = []
    total = 0
    n = 0
    while total < size:
        line = f"line {n}: the quick brown fox jumps over the lazy dog\n"
        lines.append(line)
        total += len(line)
        n += 1
    return "".join(lines)[:size]


class Checks:
    def __init__(self) -> None:
        self.failed = 0
        self.passed = 0

    def ok(self, name: str, detail: str = "") -> None:
        self.passed += 1
        print(f"ok    {NAME}: {name}{' (' + detail + ')' if detail else ''}", flush=True)

    def fail(self, name: str, why: str) -> None:
        self.failed += 1
        print(f"FAIL  {NAME}: {name}: {why}", flush=True)


async def echoed(ws: ClientConnection, message) -> str | None:
    """Sends `message` and waits for its echo; returns what is wrong with it, if anything."""
    await asyncio.wait_for(ws.send(message), TIMEOUT)
    reply = await asyncio.wait_for(ws.recv(), TIMEOUT)
    # A list is sent as one fragmented message, one frame per item.
    expected = "".join(message) if isinstance(message, list) else message
    if type(reply) is not type(expected):
        return f"sent {type(expected).__name__}, got {type(reply).__name__} back"
    if reply != expected:
        return f"the reply differs: {len(reply)} units back for {len(expected)} sent"
    return None


async def echo(ws: ClientConnection, message, name: str, checks: Checks) -> None:
    wrong = await echoed(ws, message)
    if wrong is None:
        checks.ok(name)
    else:
        checks.fail(name, wrong)


async def run(url: str, expect_deflate: bool, tight: bool) -> Checks:
    checks = Checks()
    if tight:
        offer = {
            "compression": None,
            "extensions": [
                ClientPerMessageDeflateFactory(
                    server_no_context_takeover=True,
                    client_no_context_takeover=True,
                    server_max_window_bits=10,
                    client_max_window_bits=10,
                )
            ],
        }
    else:
        offer = {}  # The websockets default: permessage-deflate; client_max_window_bits.
    async with connect(
        url,
        **offer,
        proxy=None,
        max_size=16 * MIB,
        open_timeout=TIMEOUT,
        close_timeout=TIMEOUT,
        # Keepalive pings would race with the pings checked below.
        ping_interval=None,
        create_connection=CountingConnection,
    ) as ws:
        offer = ws.request.headers.get("Sec-WebSocket-Extensions", "")
        extensions = ws.response.headers.get("Sec-WebSocket-Extensions", "")
        exchange = f"offered {offer!r}, server answered {extensions!r}"
        names = [type(e).__name__ for e in ws.protocol.extensions]
        if expect_deflate:
            if "permessage-deflate" in extensions and names == ["PerMessageDeflate"]:
                checks.ok("negotiated permessage-deflate", exchange)
            else:
                checks.fail("negotiated permessage-deflate", exchange)
        elif extensions == "" and names == []:
            checks.ok("server declined permessage-deflate", exchange)
        else:
            checks.fail("server declined permessage-deflate", exchange)

        await echo(ws, "hello from websockets", "text", checks)
        await echo(ws, bytes(range(256)), "binary", checks)
        await echo(ws, "", "empty text", checks)
        await echo(ws, b"", "empty binary", checks)
        await echo(ws, "wide wörld ✓ 日本語 🦀 ∮ E⋅da = Q", "UTF-8 multi-byte text", checks)

        # The 1 MiB compressible text: the echo must come back, and compressed if negotiated.
        big = compressible_text(MIB)
        before = ws.bytes_read
        await echo(ws, big, "1 MiB compressible text", checks)
        wire = ws.bytes_read - before
        if expect_deflate and wire < MIB // 4:
            checks.ok("server compressed the 1 MiB text", f"{wire} bytes on the wire")
        elif not expect_deflate and wire > MIB:
            checks.ok("server sent the 1 MiB text uncompressed", f"{wire} bytes on the wire")
        else:
            checks.fail("compression of the 1 MiB text", f"{wire} bytes on the wire")

        await echo(ws, os.urandom(MIB), "1 MiB random binary", checks)
        # Matches 8000 bytes back are out of reach of a window smaller than 13 bits (8 KiB):
        # both ends must use the window sizes they agreed on.
        far = (base64.b64encode(os.urandom(6000)).decode() * 9)[:64_000]
        await echo(ws, far, "64 kB text repeating every 8000 bytes", checks)
        # A fragmented message: websockets sends each item of the list as one frame.
        await echo(ws, ["frag", "mented ", "tëxt"], "fragmented text (3 frames)", checks)
        # Repeats exercise the compression context carried from message to message.
        repeated = compressible_text(10_000)
        takeover = "no context takeover" if tight else "context takeover"
        name = f"20 repeated 10 kB texts ({takeover})"
        before = ws.bytes_read
        wrong = [w for w in [await echoed(ws, repeated) for _ in range(20)] if w is not None]
        if wrong:
            checks.fail(name, wrong[0])
        else:
            checks.ok(name, f"{ws.bytes_read - before} bytes on the wire")

        for payload in (b"ping payload", b""):
            name = f"ping with {len(payload)} bytes gets a pong"
            try:
                pong = await asyncio.wait_for(ws.ping(payload), TIMEOUT)
                await asyncio.wait_for(pong, TIMEOUT)
                checks.ok(name)
            except Exception as e:  # noqa: BLE001 - report any failure as a failed check
                checks.fail(name, repr(e))
        # The echo server must still be in step after the pings.
        await echo(ws, "after the pings", "text after pings", checks)

        await asyncio.wait_for(ws.close(1000), TIMEOUT)
        rcvd = ws.protocol.close_rcvd
        if ws.close_code == 1000 and rcvd is not None and ws.protocol.close_rcvd_then_sent is False:
            checks.ok("close handshake completed", f"server answered {rcvd.code}")
        else:
            checks.fail(
                "close handshake completed",
                f"close_code {ws.close_code}, close frame received {rcvd}",
            )
    return checks


def main() -> int:
    args = sys.argv[1:]
    expect_deflate = "--expect-declined" not in args
    tight = "--tight" in args
    urls = [a for a in args if not a.startswith("--")]
    flags = [a for a in args if a.startswith("--")]
    if len(urls) != 1 or flags not in ([], ["--expect-declined"], ["--tight"]):
        print("usage: echo_client.py URL [--expect-declined | --tight]", file=sys.stderr)
        return 2
    print(f"{NAME}: websockets {websockets.__version__}", flush=True)
    try:
        checks = asyncio.run(run(urls[0], expect_deflate, tight))
    except Exception as e:  # noqa: BLE001 - any exception fails the whole run
        print(f"FAIL  {NAME}: {type(e).__name__}: {e}", flush=True)
        return 1
    print(f"{NAME}: {checks.passed} checks ok, {checks.failed} failed", flush=True)
    return 0 if checks.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

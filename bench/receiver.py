"""A fast webhook receiver for the monitoring benchmark, in its own process.

``python -m bench.receiver PORT OUT``: an asyncio HTTP/1.1 server (keep-alive) on 127.0.0.1 that
answers every POST with 200 and notes, per request, its arrival instant (``time.time()``), the
alert id and the alert's planned instant from the JSON body. On SIGTERM it writes the notes to
``OUT`` as JSON and exits. It does as little as possible per request so that it measures the
sender, not itself.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time

import orjson

_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


class _Protocol(asyncio.Protocol):
    notes: list[tuple[float, bytes]]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].lower()
            at = head.find(b"content-length:")
            length = (
                int(head[at + 15 : head.find(b"\r\n", at) if head.find(b"\r\n", at) > 0 else None])
                if at >= 0
                else 0
            )
            end = head_end + 4 + length
            if len(self.buffer) < end:
                return
            self.notes.append((time.time(), self.buffer[head_end + 4 : end]))
            self.buffer = self.buffer[end:]
            self.transport.write(_OK)  # type: ignore[attr-defined]


def main() -> None:
    port, out = int(sys.argv[1]), sys.argv[2]
    notes: list[tuple[float, bytes]] = []
    _Protocol.notes = notes
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(_Protocol, "127.0.0.1", port, backlog=512))
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    print("ready", flush=True)
    loop.run_forever()
    server.close()
    found = []
    for arrived, body in notes:
        message = orjson.loads(body)
        found.append([arrived, message.get("id"), message.get("planned_at"), message.get("late")])
    with open(out, "wb") as f:
        f.write(orjson.dumps(found))


if __name__ == "__main__":
    main()

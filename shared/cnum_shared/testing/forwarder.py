"""A small forwarder between a TCP address and a Unix socket, for tests that run hosts in network namespaces.

Test servers listen on 127.0.0.1 only, and a network namespace has a loopback of its own: a process in it
cannot reach them. Unix sockets are files, which namespaces do not isolate. So a forwarder in the root
namespace listens on a Unix socket and connects to the server's 127.0.0.1 port; one inside each namespace
listens on the namespace's own 127.0.0.1 port (the same number) and connects to that Unix socket. A process
in the namespace then uses the server's usual address.

Each connection is two threads copying bytes; when one side closes or fails, both are closed, so that the
server sees a client go when its process dies (RabbitMQ then delivers its unacknowledged messages again).
At most `max_connections` at once: more are refused.

    python shared/cnum_shared/testing/forwarder.py --map tcp:127.0.0.1:5672=unix:/tmp/x/amqp.sock [--map ...]

prints `ready` once every listener is bound, and runs until SIGTERM or SIGINT. Run it by its path: it needs
only the standard library, and `-m` would first import the test plugin (this package's __init__).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Address:
    """`tcp:HOST:PORT` or `unix:PATH`."""

    family: str
    host: str = ""
    port: int = 0
    path: str = ""

    @classmethod
    def parse(cls, text: str) -> Address:
        kind, _, rest = text.partition(":")
        if kind == "unix" and rest:
            return cls("unix", path=rest)
        host, _, port = rest.rpartition(":")
        if kind == "tcp" and host and port.isdigit():
            return cls("tcp", host=host, port=int(port))
        raise ValueError(f"not an address (tcp:HOST:PORT or unix:PATH): {text!r}")

    def socket(self) -> socket.socket:
        return socket.socket(socket.AF_UNIX if self.family == "unix" else socket.AF_INET, socket.SOCK_STREAM)

    @property
    def target(self) -> str | tuple[str, int]:
        return self.path if self.family == "unix" else (self.host, self.port)


class Forwarder:
    """Accepts on `listen`, and joins each connection to a new one to `connect`."""

    def __init__(self, listen: Address, connect: Address, max_connections: int = 64) -> None:
        self.listen, self.connect = listen, connect
        self._slots = threading.BoundedSemaphore(max_connections)
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._server = listen.socket()
        if listen.family == "unix":
            with contextlib.suppress(FileNotFoundError):
                os.unlink(listen.path)
        else:
            self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(listen.target)
        self._server.listen(64)
        self._thread = threading.Thread(target=self._accept, name=f"forward {listen.target}", daemon=True)

    def start(self) -> Forwarder:
        self._thread.start()
        return self

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        with self._lock:
            for connection in list(self._sockets):
                _close(connection)
        self._thread.join(timeout=5)
        if self.listen.family == "unix":
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.listen.path)

    def __enter__(self) -> Forwarder:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return  # closed
            if not self._slots.acquire(blocking=False):
                client.close()  # the bound: a test that opens this many connections has gone wrong
                continue
            try:
                upstream = self.connect.socket()
                upstream.settimeout(10)
                upstream.connect(self.connect.target)
                upstream.settimeout(None)
            except OSError:
                client.close()
                self._slots.release()
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            done = threading.Event()
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink, done), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, done: threading.Event) -> None:
        try:
            while chunk := source.recv(CHUNK):
                sink.sendall(chunk)
        except OSError:
            pass
        # Either side gone: both go, and the server sees its client leave.
        _close(source)
        _close(sink)
        with self._lock:
            self._sockets.discard(source)
            self._sockets.discard(sink)
        if not done.is_set():  # the second pump to end frees the slot
            done.set()
        else:
            self._slots.release()


def _close(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
    connection.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="forwarder.py", description="TCP <-> Unix socket forwarder")
    parser.add_argument("--map", action="append", required=True, help="LISTEN=CONNECT, each tcp:… or unix:…")
    arguments = parser.parse_args(argv)
    forwarders = []
    for mapping in arguments.map:
        listen, _, connect = mapping.partition("=")
        forwarders.append(Forwarder(Address.parse(listen), Address.parse(connect)).start())
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print("ready", flush=True)
    stop.wait()
    for forwarder in forwarders:
        forwarder.close()
    return 0


def unix_path(directory: Path, name: str) -> Path:
    """A socket's path in `directory`, refused when longer than a Unix socket's address allows."""
    path = directory / name
    if len(os.fsencode(path)) > 100:
        raise ValueError(f"{path} is too long for a Unix socket (about 100 bytes at most)")
    return path


if __name__ == "__main__":
    sys.exit(main())

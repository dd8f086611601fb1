"""The database goes away under a running service and comes back: the service answers 503 with
Retry-After meanwhile, and recovers by itself (no restart), nothing half-written.

The test owns a loopback TCP proxy in front of PostgreSQL and cuts it, as DESIGN §6 asks: no sleeping,
no real database restart.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from cnum_shared.testing import TestDatabases, bearer, free_port, service_app
from conventions import create_app
from conventions.adapters.orm import Structure
from conventions.demo import DEMO_STRUCTURES
from conventions.manage import MIGRATIONS_DIR


class CuttableProxy:
    """A TCP proxy on 127.0.0.1 to PostgreSQL whose link the test can cut and restore."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self.target_port = target_port
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(32)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed: the link is cut
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Every connection dropped, new ones refused: the database is gone."""
        if self._listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would leave the port open.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def restore(self) -> None:
        self.start()


@pytest.fixture
def proxied(db_backend: str, test_databases: TestDatabases, tmp_path: Path):
    if db_backend != "postgresql":
        pytest.skip("a database server to cut: PostgreSQL only")
    url = make_url(test_databases.fresh("conventions", db_backend, MIGRATIONS_DIR))
    proxy = CuttableProxy(url.port or 5432)
    proxy.start()
    through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    with service_app(create_app, through_proxy, tmp_path) as app:
        yield app, proxy
    proxy.cut()


def test_a_service_recovers_by_itself_when_its_database_comes_back(proxied):
    app, proxy = proxied
    client = app.test_client()
    assert (
        client.post("/api/v1/structures", json=DEMO_STRUCTURES[0], headers=bearer("legal")).status_code == 201
    )

    proxy.cut()
    during = client.post("/api/v1/structures", json=DEMO_STRUCTURES[1], headers=bearer("legal"))
    ready = client.get("/readyz")
    proxy.restore()
    after = client.post("/api/v1/structures", json=DEMO_STRUCTURES[2], headers=bearer("legal"))

    assert during.status_code == 503
    assert during.headers["Retry-After"] == "5"
    assert during.get_json()["message"].startswith("Base de données momentanément indisponible")
    assert ready.status_code == 503
    assert after.status_code == 201
    with app.extensions["cnum"].database.session() as session:
        names = sorted(session.scalars(select(Structure.name)))
        assert session.scalar(select(func.count()).select_from(Structure)) == 2
    assert names == sorted([DEMO_STRUCTURES[0]["name"], DEMO_STRUCTURES[2]["name"]])

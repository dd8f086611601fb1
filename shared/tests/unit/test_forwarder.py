"""The tests' TCP <-> Unix socket forwarder (cnum_shared/testing/forwarder.py): bytes go both ways, and a
client that goes away is seen gone by the server."""

import socket
import threading

from cnum_shared.testing import free_port
from cnum_shared.testing.forwarder import Address, Forwarder, unix_path


def test_a_client_reaches_a_tcp_server_through_a_unix_socket_and_its_close_reaches_the_server(tmp_path):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    received: list[bytes] = []
    closed = threading.Event()

    def serve():
        connection, _ = server.accept()
        with connection:
            while data := connection.recv(1024):
                received.append(data)
                connection.sendall(data.upper())
        closed.set()  # recv returned b"": the client's close came through both forwarders

    threading.Thread(target=serve, daemon=True).start()
    path = str(unix_path(tmp_path, "s.sock"))
    with (
        Forwarder(Address("unix", path=path), Address("tcp", "127.0.0.1", port)),
        Forwarder(Address("tcp", "127.0.0.1", free_port()), Address("unix", path=path)) as inner,
    ):
        with socket.create_connection(inner.listen.target, timeout=5) as client:
            client.sendall(b"hello")
            assert client.recv(1024) == b"HELLO"
        assert closed.wait(5)
    server.close()

    assert received == [b"hello"]

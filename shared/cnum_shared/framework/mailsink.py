"""The local SMTP sink of `make run`: every message it receives becomes an `.eml` file under
CNUM_VAR_DIR/mail/ (var/mail/ by default).

`python -m cnum_shared.framework.mailsink [--host 127.0.0.1] [--port 8025] [--directory DIR]`. Tests use
`MailSink` on a free port and read what it received.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import signal
import socket
import threading
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from types import FrameType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from cnum_shared.framework.config import var_dir_from_environment


class _StoreHandler:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        headers = (
            f"X-Cnum-Envelope-From: {envelope.mail_from}\r\n"
            f"X-Cnum-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
        temporary = self.directory / f".{name}.tmp"
        temporary.write_bytes(headers + raw)
        os.replace(temporary, self.directory / name)  # atomic: a reader never sees half a message
        return "250 Message accepted for delivery"


#: The ports free_port has answered in this process: the OS may pick a port again once its probe is closed,
#: and two servers told the same port (a converter and an API started together) would not both bind it.
_PORTS_GIVEN: set[int] = set()
_PORTS_LOCK = threading.Lock()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (never 5000-5003 or 8025: the OS picks from its ephemeral range),
    and never one this process was already given."""
    with _PORTS_LOCK:
        for _ in range(100):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.bind(("127.0.0.1", 0))
                port = int(probe.getsockname()[1])
            if port not in _PORTS_GIVEN:
                _PORTS_GIVEN.add(port)
                return port
    raise RuntimeError("no free TCP port on 127.0.0.1 that this process was not given already")


class MailSink:
    """An SMTP server on 127.0.0.1 storing messages as files; port 0 picks a free port."""

    def __init__(self, directory: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.port = port
        self._controller: Controller | None = None

    def start(self) -> MailSink:
        if self.port == 0:
            self.port = free_port()
        # decode_data=False keeps the bytes as sent (8BITMTIME/UTF-8 bodies are stored untouched).
        self._controller = Controller(_StoreHandler(self.directory), hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[EmailMessage]:
        """Every stored message, oldest first."""
        result: list[EmailMessage] = []
        for path in sorted(self.directory.glob("*.eml")):
            message: Any = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            result.append(message)
        return result

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m cnum_shared.framework.mailsink", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument(
        "--directory",
        type=Path,
        default=var_dir_from_environment() / "mail",
        help="where the .eml files go (default: CNUM_VAR_DIR/mail)",
    )
    arguments = parser.parse_args()
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sink = MailSink(arguments.directory, arguments.host, arguments.port).start()
    print(f"SMTP sink on {sink.host}:{sink.port}, messages in {sink.directory}/", flush=True)
    stop.wait()
    sink.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

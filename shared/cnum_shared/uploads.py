"""Files users upload and files the services store: one way to write them, name them and tell their type."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

#: The formats structures may upload (evidence, RIBs), recognised by their first bytes.
SIGNATURES = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def write_atomically(path: Path, content: bytes) -> None:
    """Write through a temporary file and a rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


def safe_file_name(name: str | None, default: str) -> str:
    """The name a user gave, kept as text only: printable, no path separators, 255 characters at most."""
    kept = "".join(ch for ch in (name or default) if ch.isprintable() and ch not in "/\\")[:255]
    return kept or default


def media_type_of(content: bytes) -> str | None:
    """PDF, PNG or JPEG, read from the content (never from the name or the client's claim)."""
    for signature, media_type in SIGNATURES.items():
        if content.startswith(signature):
            return media_type
    return None

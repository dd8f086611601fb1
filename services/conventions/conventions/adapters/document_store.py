"""Stored documents and archives: files under the service's var directory (CNUM_VAR_DIR), by relative path."""

from __future__ import annotations

import os
import uuid
import zipfile
from collections.abc import Sequence
from pathlib import Path

from cnum_shared.framework.uploads import write_atomically


class LocalFileStore:
    """Files under `root`; the paths the database keeps are relative to it."""

    def __init__(self, root: Path) -> None:
        # Absolute: Flask's send_file reads a relative path from the package's folder, not the working
        # directory the relative CNUM_VAR_DIR of `make run` (`var`) means.
        self.root = root.resolve()

    def absolute(self, path: str) -> Path:
        return self.root / path

    def exists(self, path: str) -> bool:
        return (self.root / path).is_file()

    def read(self, path: str) -> bytes:
        return (self.root / path).read_bytes()

    def write(self, path: str, content: bytes) -> None:
        write_atomically(self.root / path, content)

    def write_zip(self, path: str, members: Sequence[tuple[str, str]]) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        # PDFs are already compressed: stored as they are, the archive is written at disk speed.
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_STORED) as archive:
            for member, name in members:
                archive.write(self.root / member, arcname=name)
        os.replace(temporary, target)

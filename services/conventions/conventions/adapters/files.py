"""The files the conventions service keeps under its var directory (RIBs, generated documents)."""

from __future__ import annotations

from pathlib import Path

from cnum_shared.framework.uploads import InvalidUpload, checked_media_type, write_atomically
from conventions.domain.structures import UnacceptableUpload


class LocalFiles:
    """Files by path relative to the service's var directory (`CNUM_VAR_DIR`)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def media_type(self, content: bytes) -> str:
        """The file's type, read from its content and then parsed whole as that type (a PNG decoded to its
        last pixel, a PDF without active content): never from its name or the client's claim."""
        try:
            return checked_media_type(content)
        except InvalidUpload as error:
            raise UnacceptableUpload(str(error)) from None

    def write(self, relative: str, content: bytes) -> None:
        write_atomically(self.root / relative, content)

    def delete(self, relative: str) -> bool:
        try:
            (self.root / relative).unlink()
        except FileNotFoundError:
            return False
        return True

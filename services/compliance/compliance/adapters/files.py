"""Where the uploaded evidence and exemption files are kept: under the service's var directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cnum_shared.framework.uploads import write_atomically


@dataclass(frozen=True)
class LocalFiles:
    """Files written whole or not at all (a reader never sees half a file); built once by the bootstrap."""

    root: Path

    def write(self, relative: str, content: bytes) -> None:
        write_atomically(self.root / relative, content)

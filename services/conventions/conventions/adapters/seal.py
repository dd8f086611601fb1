"""The agency's electronic seal behind the service layer's DocumentSeal (cnum_shared.framework.seal)."""

from __future__ import annotations

import functools
import threading
from pathlib import Path

from cnum_shared.core.clock import Clock
from cnum_shared.core.signatures import PdfSignatures
from cnum_shared.framework.seal import AgencySeal, MetadataUpdate, SignatureChecker, UnreadableSignedPdf
from conventions.config import ConventionsSettings
from conventions.domain.documents import UnreadablePdf


class PyhankoSeal:
    """Seals with the configured key and certificate; checks against the configured roots.

    The files are read on first use, once (a test app that renders no PDF never needs them), except in
    production, where `load()` is called at start so that a missing or test seal stops the service.
    """

    def __init__(self, settings: ConventionsSettings, clock: Clock) -> None:
        assert settings.seal_key_file is not None  # set by the settings' validator outside production
        assert settings.seal_certificate_file is not None
        assert settings.seal_trust_roots_file is not None
        self._key_file: Path = settings.seal_key_file
        self._certificate_file: Path = settings.seal_certificate_file
        self._roots_file: Path = settings.seal_trust_roots_file
        self._other_roots_file = settings.signature_trust_roots_file
        self._production = settings.environment == "production"
        self._clock = clock
        self._lock = threading.Lock()

    def load(self) -> PyhankoSeal:
        """Read the key, the certificates and the roots now (SealError when one cannot be used)."""
        with self._lock:
            _ = self._seal, self._checker
        return self

    @functools.cached_property
    def _seal(self) -> AgencySeal:
        return AgencySeal.from_files(self._key_file, self._certificate_file, production=self._production)

    @functools.cached_property
    def _checker(self) -> SignatureChecker:
        return SignatureChecker.from_files(self._roots_file, self._other_roots_file)

    def seal(self, pdf: bytes, metadata: MetadataUpdate | None = None) -> bytes:
        return self.load()._seal.seal(pdf, self._clock.now(), metadata)

    def check(self, pdf: bytes) -> PdfSignatures:
        try:
            return self.load()._checker.check(pdf)
        except UnreadableSignedPdf as error:
            raise UnreadablePdf(str(error)) from error

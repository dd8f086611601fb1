"""The agency's electronic seal on the PDFs it generates, and the check of a PDF's signatures (pyHanko).

The seal is a PAdES baseline B-B signature (subfilter ETSI.CAdES.detached, with the signing-certificate
attribute), added as an incremental update with an invisible field, so that what the file was before
(its PDF/A conformance included) is untouched. B-T would need a timestamp authority, which the agency
does not have: the signing time is the one the seal claims (decision 0023).

`TestAuthority` makes the local test authority of `make run` and of the tests: every certificate it
issues names `TEST_AUTHORITY_MARK` in its subject, and production refuses a seal that does.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_private_key_from_pemder_data
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.authority import CertTrustAnchor
from pyhanko_certvalidator.registry import SimpleCertificateStore

from cnum_shared.core.signatures import ChangesAfter, PdfSignatures, SignatureCheck
from cnum_shared.framework.config import (
    DEVELOPMENT_SEAL_CERTIFICATE,
    DEVELOPMENT_SEAL_KEY,
    DEVELOPMENT_SEAL_ROOTS,
)

#: Named in the subject (OU) of every certificate of the local test authority; refused in production.
TEST_AUTHORITY_MARK = "Autorité de test cnum, sans valeur hors développement"
#: The seal's signature field: invisible, so the pages are those the converter made.
SEAL_FIELD = "CachetAgence"
#: Bytes reserved in the file for the seal's CMS container (signature, signed attributes, chain).
SEAL_BYTES_RESERVED = 16384
AGENCY = "Caisse des dépôts et consignations"
SEAL_COMMON_NAME = "cnum — cachet de l'agence (test)"


class SealError(ValueError):
    """The seal's key or certificates cannot be used; the message says which file and why."""


class UnreadableSignedPdf(ValueError):
    """The file is not a PDF pyHanko can read; the message says why, in French."""


# --- Certificates ---------------------------------------------------------------------------------------


def read_certificates(data: bytes) -> list[asn1_x509.Certificate]:
    """Every certificate of a PEM bundle (or one DER certificate), in order."""
    if not asn1_pem.detect(data):
        return [asn1_x509.Certificate.load(data)]
    return [asn1_x509.Certificate.load(der) for _, _, der in asn1_pem.unarmor(data, multiple=True)]


def read_certificate_file(path: Path, what: str) -> list[asn1_x509.Certificate]:
    try:
        certificates = read_certificates(path.read_bytes())
    except FileNotFoundError:
        raise SealError(
            f"{what} {path} does not exist; for development run `cnum seal-authority` (make run does)"
        ) from None
    except (OSError, ValueError) as error:
        raise SealError(f"{what} {path} cannot be read: {error}") from None
    if not certificates:
        raise SealError(f"{what} {path} holds no certificate")
    return certificates


def from_test_authority(certificate: asn1_x509.Certificate) -> bool:
    """Whether the local test authority issued it, or it is that authority."""
    return any(
        TEST_AUTHORITY_MARK in str(name.native.get("organizational_unit_name", ""))
        for name in (certificate.subject, certificate.issuer)
    )


def readable_name(name: asn1_x509.Name) -> str:
    """`CN=…, O=…, C=…` from a certificate name."""
    labels = {
        "common_name": "CN",
        "organizational_unit_name": "OU",
        "organization_name": "O",
        "country_name": "C",
    }
    native = name.native
    return ", ".join(f"{label}={native[key]}" for key, label in labels.items() if key in native)


# --- The local test authority ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedCertificate:
    key_pem: bytes
    #: The certificate, then its issuer's: what a signer embeds.
    chain_pem: bytes


@dataclass(frozen=True)
class TestAuthority:
    """A root certificate authority made on this machine, marked as a test authority."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    #: Wide enough for a test's fake clock (the programme began in 2020).
    NOT_BEFORE = datetime(2020, 1, 1, tzinfo=UTC)
    LIFETIME = timedelta(days=365 * 30)

    @classmethod
    def create(cls, organisation: str = AGENCY, name: str = "cnum — autorité de test") -> TestAuthority:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = _name(organisation, name)
        certificate = (
            _builder(subject, subject, key.public_key(), cls.NOT_BEFORE, cls.LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(sign_certificates=True), critical=True)
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    @property
    def root_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def issue(self, common_name: str, organisation: str = AGENCY) -> IssuedCertificate:
        """A signing certificate (digitalSignature and nonRepudiation) and its new key."""
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = (
            _builder(
                _name(organisation, common_name),
                self.certificate.subject,
                key.public_key(),
                self.NOT_BEFORE,
                self.LIFETIME,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(sign_certificates=False), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return IssuedCertificate(
            key_pem, certificate.public_bytes(serialization.Encoding.PEM) + self.root_pem
        )


def _name(organisation: str, common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, TEST_AUTHORITY_MARK),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    not_before: datetime,
    lifetime: timedelta,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + lifetime)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(*, sign_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not sign_certificates,
        content_commitment=not sign_certificates,  # nonRepudiation: a seal commits its author
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=sign_certificates,
        crl_sign=sign_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def write_test_authority(directory: Path) -> tuple[Path, Path, Path]:
    """A new test authority and its seal certificate under `directory`: (key, certificate chain, root)."""
    authority = TestAuthority.create()
    seal = authority.issue(SEAL_COMMON_NAME)
    key_path = directory / DEVELOPMENT_SEAL_KEY.name
    certificate_path = directory / DEVELOPMENT_SEAL_CERTIFICATE.name
    root_path = directory / DEVELOPMENT_SEAL_ROOTS.name
    directory.mkdir(parents=True, exist_ok=True)
    for path, content, mode in (
        (key_path, seal.key_pem, 0o600),
        (certificate_path, seal.chain_pem, 0o644),
        (root_path, authority.root_pem, 0o644),
    ):
        # Written under a temporary name and renamed: a process starting meanwhile reads a whole file.
        partial = path.with_name(f".{path.name}.partial")
        partial.write_bytes(b"")
        partial.chmod(mode)
        partial.write_bytes(content)
        partial.replace(path)
    return key_path, certificate_path, root_path


# --- Sealing --------------------------------------------------------------------------------------------


class _SignerAt(signers.PdfSigner):
    """pyHanko's signer, with the signing time given (the service's clock) instead of the system's."""

    def __init__(self, *arguments: Any, at: datetime, **keywords: Any) -> None:
        super().__init__(*arguments, **keywords)
        self._at = at

    def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> Any:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._at
        return session


#: A change of a document's metadata made in the seal's own incremental update (decision 0041): given the
#: XMP packet (None when there is none) and the Info entries ("/Title": text), the new packet and the new
#: Info entries. The caller owns what the metadata says; the seal only writes it.
MetadataUpdate = Callable[[bytes | None, dict[str, str]], tuple[bytes, dict[str, str]]]


class _MetadataKeepingWriter(IncrementalPdfFileWriter):
    """An incremental writer that leaves the document's metadata to its caller.

    pyHanko would otherwise rewrite the XMP packet in its own RDF serialization and name itself as the
    producer, in the XMP and the Info dictionary: the provenance stamp and its PDF/A extension schema
    (decision 0022) would come out in another shape and Info and XMP would disagree. What the seal adds is
    said by the signature dictionary itself (signer, time, reason).
    """

    def _update_meta(self) -> None:
        return None

    def replace_metadata(self, update: MetadataUpdate) -> None:
        """Write the metadata `update` answers, as new objects of this update: a Metadata stream (XML, not
        compressed, as PDF/A wants it readable) and an Info dictionary."""
        packet = self.root["/Metadata"].data if "/Metadata" in self.root else None
        info = {}
        if self._info is not None:
            info = {str(key): str(value) for key, value in self._info.get_object().items()}  # type: ignore[no-untyped-call]
        new_packet, new_info = update(packet, info)
        stream = generic.StreamObject(
            {
                generic.pdf_name("/Type"): generic.pdf_name("/Metadata"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/XML"),
            },
            stream_data=new_packet,
        )
        self.root[generic.pdf_name("/Metadata")] = self.add_object(stream)
        self.update_root()  # type: ignore[no-untyped-call]
        entries = {generic.pdf_name(key): generic.TextStringObject(value) for key, value in new_info.items()}
        self.set_info(self.add_object(generic.DictionaryObject(entries)))  # type: ignore[no-untyped-call]


class AgencySeal:
    """The agency's seal: a private key and its certificate chain, read once."""

    def __init__(self, key_pem: bytes, chain: Sequence[asn1_x509.Certificate]) -> None:
        self.certificate = chain[0]
        self._signer = signers.SimpleSigner(
            signing_cert=chain[0],
            signing_key=load_private_key_from_pemder_data(key_pem, passphrase=None),
            cert_registry=SimpleCertificateStore.from_certs(list(chain)),  # type: ignore[no-untyped-call]
        )
        self._metadata = signers.PdfSignatureMetadata(
            field_name=SEAL_FIELD,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason="Cachet électronique de l'agence : document émis par cnum",
            location="France",
        )

    @classmethod
    def from_files(cls, key_file: Path, certificate_file: Path, *, production: bool) -> AgencySeal:
        """Read the seal; in production a certificate of the local test authority is refused."""
        chain = read_certificate_file(certificate_file, "the seal certificate (CNUM_SEAL_CERTIFICATE_FILE)")
        if production and any(from_test_authority(certificate) for certificate in chain):
            raise SealError(f"{certificate_file} comes from the local test authority: refused in production")
        try:
            key_pem = key_file.read_bytes()
        except FileNotFoundError:
            raise SealError(
                f"the seal key (CNUM_SEAL_KEY_FILE) {key_file} does not exist; for development run "
                "`cnum seal-authority` (make run does)"
            ) from None
        try:
            return cls(key_pem, chain)
        except (OSError, ValueError, TypeError) as error:
            raise SealError(f"the seal key {key_file} cannot be used: {error}") from None

    @property
    def subject(self) -> str:
        return readable_name(self.certificate.subject)

    def seal(self, pdf: bytes, at: datetime, metadata: MetadataUpdate | None = None) -> bytes:
        """The same PDF with the seal appended as an incremental update, signed at `at`; with `metadata`,
        the same update also carries the document's new metadata, under the seal (decision 0041)."""
        writer = _MetadataKeepingWriter(io.BytesIO(pdf), strict=False)
        if metadata is not None:
            writer.replace_metadata(metadata)
        signer = _SignerAt(
            self._metadata,
            self._signer,
            new_field_spec=fields.SigFieldSpec(sig_field_name=SEAL_FIELD, box=None),
            at=at,
        )
        # A fixed reservation spares pyHanko a trial signature to measure it (half the seal's cost); it
        # holds a CMS container with a chain of several RSA-4096 certificates.
        output = signer.sign_pdf(writer, output=io.BytesIO(), bytes_reserved=SEAL_BYTES_RESERVED)
        return bytes(output.getvalue())


# --- Checking the signatures of a PDF -------------------------------------------------------------------

_CHANGES = {
    ModificationLevel.NONE: ChangesAfter.NONE,
    ModificationLevel.LTA_UPDATES: ChangesAfter.VALIDATION_DATA,
    ModificationLevel.FORM_FILLING: ChangesAfter.SIGNATURES,
    ModificationLevel.ANNOTATIONS: ChangesAfter.ANNOTATIONS,
    ModificationLevel.OTHER: ChangesAfter.OTHER,
}


class SignatureChecker:
    """Checks every signature of a PDF against the agency's seal roots and the other trusted roots."""

    def __init__(
        self, seal_roots: Iterable[asn1_x509.Certificate], other_roots: Iterable[asn1_x509.Certificate] = ()
    ) -> None:
        self.seal_roots = list(seal_roots)
        self.other_roots = list(other_roots)
        self._seal_fingerprints = {root.sha256 for root in self.seal_roots}

    @classmethod
    def from_files(cls, seal_roots_file: Path, other_roots_file: Path | None) -> SignatureChecker:
        seal_roots = read_certificate_file(
            seal_roots_file, "the seal's trust roots (CNUM_SEAL_TRUST_ROOTS_FILE)"
        )
        other_roots = (
            read_certificate_file(
                other_roots_file, "the signatures' trust roots (CNUM_SIGNATURE_TRUST_ROOTS_FILE)"
            )
            if other_roots_file is not None
            else []
        )
        return cls(seal_roots, other_roots)

    def check(self, pdf: bytes) -> PdfSignatures:
        """Every signature of the file, oldest first; UnreadableSignedPdf when pyHanko cannot read it."""
        try:
            reader = PdfFileReader(io.BytesIO(pdf), strict=False)
            embedded = list(reader.embedded_signatures)
        except Exception as error:
            raise UnreadableSignedPdf(f"Le PDF est illisible ({type(error).__name__}).") from None
        # A fresh context per file: it caches what it validated, and the files are unrelated.
        context = ValidationContext(
            trust_roots=[*self.seal_roots, *self.other_roots],
            allow_fetching=False,
            revocation_mode="soft-fail",
        )
        return PdfSignatures(tuple(self._check_one(pdf, signature, context) for signature in embedded))

    def _check_one(self, pdf: bytes, signature: Any, context: ValidationContext) -> SignatureCheck:
        revision_sha256 = _revision_sha256(pdf, signature)
        try:
            certificate = signature.signer_cert
            signer, issuer = readable_name(certificate.subject), readable_name(certificate.issuer)
        except Exception:
            signer = issuer = "inconnu"
        try:
            # pyHanko runs its own event loop: a thread of a request or a batch has none running.
            status = asyncio.run(_validate(signature, context))
        except Exception as error:
            return SignatureCheck(
                field=str(signature.field_name),
                signer=signer,
                issuer=issuer,
                signed_at=None,
                intact=False,
                trusted=False,
                ours=False,
                revision_sha256=revision_sha256,
                changes_after=ChangesAfter.UNKNOWN,
                problem=f"signature illisible ({type(error).__name__})",
            )
        path = status.validation_path
        anchor = path.trust_anchor if path is not None else None
        # The agency's seal even when the document under it changed: the certificate chains to our roots
        # (the signature over the signed attributes still verifies; only the document digest differs).
        ours = (
            status.valid
            and status.trust_problem_indic is None
            and isinstance(anchor, CertTrustAnchor)
            and anchor.certificate.sha256 in self._seal_fingerprints
        )
        intact = bool(status.intact and status.valid)
        whole = status.coverage in (
            SignatureCoverageLevel.ENTIRE_FILE,
            SignatureCoverageLevel.ENTIRE_REVISION,
        )
        changes = (
            _CHANGES.get(status.modification_level, ChangesAfter.UNKNOWN) if whole else ChangesAfter.OTHER
        )
        problem = None
        if not intact:
            problem = "le contenu signé a été modifié ou la signature ne se vérifie pas"
        elif not status.trusted:
            problem = "le certificat du signataire ne remonte à aucune autorité configurée comme de confiance"
        return SignatureCheck(
            field=str(signature.field_name),
            signer=signer,
            issuer=issuer,
            signed_at=status.signer_reported_dt,
            intact=intact,
            trusted=bool(status.valid and status.trust_problem_indic is None and path is not None),
            ours=bool(ours),
            revision_sha256=revision_sha256,
            changes_after=changes,
            problem=problem,
        )


async def _validate(signature: Any, context: ValidationContext) -> Any:
    return await async_validate_pdf_signature(signature, signer_validation_context=context)


def _revision_sha256(pdf: bytes, signature: Any) -> str:
    """SHA-256 of the file as it was when signed: everything up to the end of the signed byte range."""
    try:
        _, _, start, length = (int(value) for value in signature.byte_range)
        return hashlib.sha256(pdf[: start + length]).hexdigest()
    except (TypeError, ValueError):
        return ""


__all__ = [
    "AgencySeal",
    "MetadataUpdate",
    "SealError",
    "SignatureChecker",
    "TestAuthority",
    "UnreadableSignedPdf",
    "write_test_authority",
]

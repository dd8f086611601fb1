"""Who is calling: signed JWTs (EdDSA), their lifetimes, and the roles of the HTTP contract.

Services only verify (DESIGN §5): they hold the public key. The private key stays with the issuers (the
web front's sign-in, `cnum token` for administrators, and each service's outbox relay), so that holding a
token, or a service's configuration, never lets anyone mint another one.

Framework-free; the Flask side (header parsing, the view decorator, the revocation check) is in
`cnum_shared.framework.web`, the revocation list in `cnum_shared.framework.revocation`.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

#: The only algorithm accepted: asymmetric, so a verifier cannot sign. Refusing every other algorithm
#: also refuses `alg: none` and algorithm-confusion tokens.
ALGORITHM = "EdDSA"
DEFAULT_TTL_SECONDS = 3600
#: Clock skew tolerated between an issuer and a service (an `iat` slightly in the future).
CLOCK_SKEW_SECONDS = 60
#: Written above the PEM of the keys `cnum keys` generates for `make run` and the tests; production
#: refuses a key that carries it.
DEVELOPMENT_KEY_MARKER = "cnum development key"


class Role(StrEnum):
    ADMIN = "admin"
    LEGAL = "legal"
    FINANCE = "finance"
    COMPLIANCE = "compliance"
    STRUCTURE = "structure"
    AUDITOR = "auditor"
    SERVICE = "service"
    #: Activity-report feeders (the tools that send CRA rows): they may post activity reports, nothing else.
    REPORTER = "reporter"


#: Roles that may read every resource of every service (DESIGN §5: "Every GET is open to auditor and admin").
READERS: tuple[Role, ...] = (Role.AUDITOR, Role.ADMIN)

_HOUR = 3600
#: The longest a token of each role may live (exp − iat). People get a working day: a stolen token is
#: worth little by the next morning. Administrators get less, their tokens can do more. Relays mint a
#: token every few minutes. Activity-report feeders are unattended tools that their structure configures
#: once a month; their tokens are revocable like every other.
MAX_LIFETIME_SECONDS: Mapping[Role, int] = {
    Role.ADMIN: 8 * _HOUR,
    Role.LEGAL: 12 * _HOUR,
    Role.FINANCE: 12 * _HOUR,
    Role.COMPLIANCE: 12 * _HOUR,
    Role.AUDITOR: 12 * _HOUR,
    Role.STRUCTURE: 12 * _HOUR,
    Role.SERVICE: 1 * _HOUR,
    Role.REPORTER: 31 * 24 * _HOUR,
}
#: The longest any token lives: a subject revoked now has no valid token left after this.
LONGEST_LIFETIME_SECONDS = max(MAX_LIFETIME_SECONDS.values())


class AuthenticationError(Exception):
    """The token is missing, malformed, expired, revoked, badly signed or names no known role (401)."""


class KeyFileError(ValueError):
    """A key file cannot be used (unreadable, not an Ed25519 key, or a development key in production)."""


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short, stable id of a public key (the token header's `kid`), so that keys can be rotated."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest()[:12]).decode().rstrip("=")


@dataclass(frozen=True)
class SigningKey:
    """An issuer's private key."""

    private_key: Ed25519PrivateKey
    #: True for a key made by `cnum keys` for development and tests.
    development: bool = False

    @classmethod
    def generate(cls, *, development: bool = True) -> SigningKey:
        return cls(Ed25519PrivateKey.generate(), development=development)

    @classmethod
    def from_pem(cls, data: bytes) -> SigningKey:
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as error:
            raise KeyFileError(f"not a readable, unencrypted PEM private key: {error}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFileError("the private key must be an Ed25519 key (EdDSA)")
        return cls(key, development=DEVELOPMENT_KEY_MARKER.encode() in data)

    @property
    def kid(self) -> str:
        return key_id(self.private_key.public_key())

    def verification_keys(self) -> VerificationKeys:
        public = self.private_key.public_key()
        return VerificationKeys({key_id(public): public}, development=self.development)

    def private_pem(self) -> bytes:
        pem = self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return _with_marker(pem, self.development)

    def public_pem(self) -> bytes:
        pem = self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return _with_marker(pem, self.development)


@dataclass(frozen=True)
class VerificationKeys:
    """The public keys a service accepts, by key id: one, or two while a key is being rotated."""

    keys: Mapping[str, Ed25519PublicKey]
    development: bool = False
    _hash: int = field(default=0, compare=False, repr=False)

    @classmethod
    def from_pem(cls, data: bytes) -> VerificationKeys:
        """One or more PEM public keys, one after the other in one file."""
        blocks = re.findall(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", data, re.DOTALL)
        if not blocks:
            raise KeyFileError("no PEM public key (-----BEGIN PUBLIC KEY-----) found")
        keys: dict[str, Ed25519PublicKey] = {}
        for block in blocks:
            try:
                key = serialization.load_pem_public_key(block)
            except ValueError as error:
                raise KeyFileError(f"unreadable public key: {error}") from None
            if not isinstance(key, Ed25519PublicKey):
                raise KeyFileError("public keys must be Ed25519 keys (EdDSA)")
            keys[key_id(key)] = key
        return cls(keys, development=DEVELOPMENT_KEY_MARKER.encode() in data)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.keys)))


def _with_marker(pem: bytes, development: bool) -> bytes:
    if not development:
        return pem
    return f"# {DEVELOPMENT_KEY_MARKER}: made by `cnum keys`, refused in production\n".encode() + pem


_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    sub: str
    role: Role
    structure_id: uuid.UUID | None = None
    #: The token's id, so that this one token can be revoked.
    jti: str = ""
    issued_at: datetime = _EARLIEST
    expires_at: datetime = _LATEST
    #: A display name, when the issuer knows one (the web front: the officer's name).
    name: str | None = None
    #: The address the person called from, when an issuer in front of the service vouches for it.
    client_address: str | None = None

    def is_structure(self) -> bool:
        return self.role is Role.STRUCTURE

    def may_see_structure(self, structure_id: uuid.UUID | str) -> bool:
        """Structure users see only their own structure; every other role passes this check."""
        if self.role is not Role.STRUCTURE:
            return True
        return str(self.structure_id) == str(structure_id)


def issue_token(
    key: SigningKey,
    role: Role | str,
    *,
    sub: str | None = None,
    structure_id: uuid.UUID | str | None = None,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    name: str | None = None,
    client_address: str | None = None,
    now: datetime | None = None,
) -> str:
    """A signed token; `ttl_seconds` of 0 or less gives an already expired token (for tests).

    A lifetime above the role's maximum is refused here rather than minted and refused by every service.
    """
    role = Role(role)
    if role is Role.STRUCTURE and structure_id is None:
        raise ValueError("a token for the role 'structure' needs a structure id")
    if ttl_seconds > MAX_LIFETIME_SECONDS[role]:
        raise ValueError(
            f"a token for the role '{role.value}' lives at most {MAX_LIFETIME_SECONDS[role]} seconds"
        )
    issued_at = now or datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": sub or f"{role.value}-demo",
        "role": role.value,
        "jti": uuid.uuid4().hex,
        "iat": int(issued_at.timestamp()),
        "exp": int((issued_at + timedelta(seconds=ttl_seconds)).timestamp()),
    }
    if structure_id is not None:
        claims["structure_id"] = str(uuid.UUID(str(structure_id)))
    if name:
        claims["name"] = name
    if client_address:
        claims["client_address"] = client_address
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


def decode_token(token: str, keys: VerificationKeys, *, now: datetime | None = None) -> Principal:
    """Verify a token and return its principal, or raise `AuthenticationError` saying why.

    A token already verified by this process is not verified again (an officer sends the same token with
    every request until it expires); its expiry is still checked on every call. Revocation is checked by
    the caller (`cnum_shared.framework.web`), on every request, never cached here.
    """
    principal = _verified(token, keys)
    if principal.expires_at.timestamp() <= (now or datetime.now(UTC)).timestamp():
        raise AuthenticationError("le jeton a expiré")
    return principal


@lru_cache(maxsize=4096)
def _verified(token: str, keys: VerificationKeys) -> Principal:
    """The principal of a valid token; a refused token raises and is not remembered."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as error:
        raise AuthenticationError(f"jeton invalide : {error}") from None
    public_key = keys.keys.get(str(header.get("kid", "")))
    if public_key is None:
        if len(keys.keys) != 1 or "kid" in header:
            raise AuthenticationError("jeton invalide : clé de signature inconnue")
        public_key = next(iter(keys.keys.values()))
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub", "role", "jti"]},
            leeway=CLOCK_SKEW_SECONDS,
        )
    except jwt.ExpiredSignatureError:
        raise AuthenticationError("le jeton a expiré") from None
    except jwt.ImmatureSignatureError:
        raise AuthenticationError("jeton invalide : émis dans le futur") from None
    except jwt.InvalidTokenError as error:
        raise AuthenticationError(f"jeton invalide : {error}") from None
    try:
        role = Role(claims["role"])
    except ValueError:
        raise AuthenticationError(f"rôle inconnu : {claims['role']!r}") from None
    sub, jti = claims["sub"], claims["jti"]
    if not isinstance(sub, str) or not sub:
        raise AuthenticationError("jeton invalide : 'sub' doit être une chaîne non vide")
    if not isinstance(jti, str) or not jti:
        raise AuthenticationError("jeton invalide : 'jti' doit être une chaîne non vide")
    issued_at, expires_at = int(claims["iat"]), int(claims["exp"])
    if expires_at - issued_at > MAX_LIFETIME_SECONDS[role]:
        raise AuthenticationError(
            f"jeton invalide : durée de vie supérieure au maximum du rôle « {role.value} » "
            f"({MAX_LIFETIME_SECONDS[role] // 3600} h)"
        )
    structure_id: uuid.UUID | None = None
    raw_structure = claims.get("structure_id")
    if raw_structure is not None:
        try:
            structure_id = uuid.UUID(str(raw_structure))
        except ValueError:
            raise AuthenticationError("jeton invalide : 'structure_id' n'est pas un UUID") from None
    if role is Role.STRUCTURE and structure_id is None:
        raise AuthenticationError("jeton invalide : le rôle 'structure' exige 'structure_id'")
    name, client_address = claims.get("name"), claims.get("client_address")
    return Principal(
        sub=sub,
        role=role,
        structure_id=structure_id,
        jti=jti,
        issued_at=datetime.fromtimestamp(issued_at, UTC),
        expires_at=datetime.fromtimestamp(expires_at, UTC),
        name=name if isinstance(name, str) else None,
        client_address=client_address if isinstance(client_address, str) else None,
    )

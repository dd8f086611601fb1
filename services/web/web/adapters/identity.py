"""The OpenID Connect provider officers sign in at (decision 0042): ProConnect in production, the local
oidc-provider-mock under `make run` and in the tests.

Authorization code flow, with Authlib as the client: `state` ties the provider's answer to the browser
that asked, `nonce` ties the ID token to that request, PKCE (S256) is used when the discovery document
offers it. The ID token's signature is checked against the keys the provider publishes (`jwks_uri`), as
is the userinfo answer when it is a signed JWT (ProConnect answers `application/jwt`); a plain JSON
userinfo comes over the same TLS connection as the token and is believed as such. Only asymmetric
algorithms are accepted: never `none`, never an HMAC keyed with something public.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

#: The signature algorithms believed, whatever the provider lists (asymmetric only).
ASYMMETRIC_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)  # fmt: skip
#: How long a sign-in started at the provider may take before its answer is refused.
PENDING_SECONDS = 600
#: Clock skew allowed between the provider and the web front when reading `exp` and `iat`.
LEEWAY_SECONDS = 120


class SignInFailed(Exception):
    """The provider's answer cannot sign anyone in. `status`: the page's HTTP status; `message`: French."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ProviderUnavailable(SignInFailed):
    """The provider did not answer, or answered something that is not OpenID Connect."""

    status = 503


@dataclass(frozen=True)
class PendingSignIn:
    """What the web front keeps, in the browser's session, of a sign-in sent to the provider."""

    state: str
    nonce: str
    code_verifier: str | None
    #: The page of this site to open once signed in ("" for the officer's home page).
    next: str
    started_at: float

    def as_session(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_session(cls, value: object) -> PendingSignIn | None:
        if not isinstance(value, dict):
            return None
        try:
            return cls(**value)
        except TypeError:
            return None


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in: its `sub`, and the claims the web front matches an account by."""

    subject: str
    email: str | None
    given_name: str | None
    usual_name: str | None
    #: ProConnect's claim: the SIRET of the agent's organisation (structure agents' sign-in).
    siret: str | None
    #: Kept for signing out at the provider (`id_token_hint`).
    id_token: str

    @property
    def display_name(self) -> str:
        names = " ".join(name for name in (self.given_name, self.usual_name) if name)
        return names or self.email or self.subject


def _text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


class IdentityProvider:
    """One OpenID provider, as one web front process sees it (its metadata and keys kept a while)."""

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        scopes: str,
        http: requests.Session,
        timeout: float,
        metadata_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.scopes = scopes
        self._http = http
        self._timeout = timeout
        self._metadata_seconds = metadata_seconds
        self._clock = clock
        self._metadata: tuple[float, dict[str, Any]] | None = None
        self._keys: tuple[float, KeySet] | None = None

    # ----------------------------------------------------------------------------------- what it publishes
    def metadata(self) -> dict[str, Any]:
        """The discovery document, whose `issuer` must be the one configured (OpenID Discovery §4.3)."""
        now = self._clock()
        if self._metadata is not None and now - self._metadata[0] < self._metadata_seconds:
            return self._metadata[1]
        found = self._get_json(f"{self.issuer}/.well-known/openid-configuration")
        if str(found.get("issuer", "")).rstrip("/") != self.issuer:
            raise ProviderUnavailable(
                "Le fournisseur d'identité se présente sous un autre nom que celui configuré : connexion "
                "impossible."
            )
        for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(found.get(endpoint), str):
                raise ProviderUnavailable("Le fournisseur d'identité ne publie pas de quoi se connecter.")
        self._metadata = (now, found)
        return found

    def _key_set(self, *, refresh: bool = False) -> KeySet:
        now = self._clock()
        if not refresh and self._keys is not None and now - self._keys[0] < self._metadata_seconds:
            return self._keys[1]
        try:
            published: Any = self._get_json(self.metadata()["jwks_uri"])
            keys = KeySet.import_key_set(published)
        except (JoseError, ValueError, TypeError, KeyError):
            raise ProviderUnavailable(
                "Les clés publiées par le fournisseur d'identité sont illisibles."
            ) from None
        self._keys = (now, keys)
        return keys

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = self._http.get(url, timeout=self._timeout, headers={"Accept": "application/json"})
            response.raise_for_status()
            found = response.json()
        except (requests.RequestException, ValueError):
            raise ProviderUnavailable(
                "Le fournisseur d'identité ne répond pas. Réessayez dans un instant."
            ) from None
        if not isinstance(found, dict):
            raise ProviderUnavailable("Le fournisseur d'identité a répondu autre chose qu'attendu.")
        return found

    def _client(self, redirect_uri: str) -> OAuth2Session:
        metadata = self.metadata()
        methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        method = "client_secret_basic" if "client_secret_basic" in methods else "client_secret_post"
        pkce = "S256" in (metadata.get("code_challenge_methods_supported") or [])
        return OAuth2Session(
            self.client_id,
            self.client_secret,
            scope=self.scopes,
            redirect_uri=redirect_uri,
            token_endpoint_auth_method=method,
            code_challenge_method="S256" if pkce else None,
        )

    # ---------------------------------------------------------------------------------------- the sign-in
    def start(self, redirect_uri: str, next_page: str) -> tuple[str, PendingSignIn]:
        """The provider's address to send the browser to, and what to keep until it comes back."""
        client = self._client(redirect_uri)
        with client:
            verifier = generate_token(64) if client.code_challenge_method else None
            pending = PendingSignIn(
                state=generate_token(40),
                nonce=generate_token(40),
                code_verifier=verifier,
                next=next_page,
                started_at=self._clock(),
            )
            url, _ = client.create_authorization_url(
                self.metadata()["authorization_endpoint"],
                state=pending.state,
                nonce=pending.nonce,
                code_verifier=verifier,
            )
        return url, pending

    def finish(self, pending: PendingSignIn, redirect_uri: str, answer: Mapping[str, str]) -> Identity:
        """Exchange the code for tokens, check the ID token, read userinfo: who signed in.

        The caller has already matched `answer["state"]` to `pending` (the browser's own sign-in)."""
        if self._clock() - pending.started_at > PENDING_SECONDS:
            raise SignInFailed("La connexion a pris trop de temps : recommencez.")
        if answer.get("iss") and answer["iss"].rstrip("/") != self.issuer:  # RFC 9207
            raise SignInFailed("La réponse ne vient pas du fournisseur d'identité attendu.")
        code = answer.get("code")
        if not code:
            raise SignInFailed("La réponse du fournisseur d'identité ne contient pas de code.")
        client = self._client(redirect_uri)
        try:
            with client:
                token = client.fetch_token(
                    self.metadata()["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=pending.code_verifier,
                    timeout=self._timeout,
                )
        except OAuthError:
            raise SignInFailed(
                "Le fournisseur d'identité a refusé le code de connexion (déjà utilisé ou expiré) : "
                "recommencez."
            ) from None
        except (requests.RequestException, ValueError):
            raise ProviderUnavailable(
                "Le fournisseur d'identité ne répond pas. Réessayez dans un instant."
            ) from None
        id_token = token.get("id_token")
        access_token = token.get("access_token")
        if not isinstance(id_token, str) or not isinstance(access_token, str):
            raise SignInFailed("Le fournisseur d'identité n'a pas donné de jeton d'identité.")
        claims = self._verified(id_token, self._id_token_rules(pending.nonce), "id_token")
        userinfo = self._userinfo(access_token)
        if userinfo.get("sub") != claims["sub"]:  # OpenID Connect Core §5.3.2
            raise SignInFailed("Les informations d'identité ne concernent pas la personne connectée.")
        merged = {**claims, **userinfo}
        return Identity(
            subject=str(claims["sub"]),
            email=_text(merged, "email"),
            given_name=_text(merged, "given_name"),
            usual_name=_text(merged, "usual_name") or _text(merged, "family_name"),
            siret=(_text(merged, "siret") or "").replace(" ", "") or None,
            id_token=id_token,
        )

    def _id_token_rules(self, nonce: str) -> JWTClaimsRegistry:
        return JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            # The nonce this browser's sign-in sent: an ID token issued for another request (replayed,
            # or obtained by someone else) is refused.
            nonce={"essential": True, "value": nonce},
        )

    def _algorithms(self, listed: object) -> list[str]:
        offered = listed if isinstance(listed, list) and listed else ["RS256"]
        return [algorithm for algorithm in offered if algorithm in ASYMMETRIC_ALGORITHMS]

    def _verified(self, value: str, rules: JWTClaimsRegistry, what: str) -> dict[str, Any]:
        """The claims of a JWT signed by one of the provider's keys, checked against `rules`."""
        metadata = self.metadata()
        listed = metadata.get(f"{what}_signing_alg_values_supported") or metadata.get(
            "id_token_signing_alg_values_supported"
        )
        algorithms = self._algorithms(listed)
        try:
            try:
                decoded = jwt.decode(value, self._key_set(), algorithms=algorithms)
            except (JoseError, ValueError):
                # A key published since the keys were read (the provider rotates them): read them again
                # once, and believe the signature only if it holds with what the provider publishes now.
                decoded = jwt.decode(value, self._key_set(refresh=True), algorithms=algorithms)
            claims = dict(decoded.claims)
            rules.validate(claims)
        except (JoseError, ValueError, TypeError):
            raise SignInFailed(
                "Le jeton remis par le fournisseur d'identité n'est pas valable (signature, émetteur, "
                "destinataire, date ou nonce) : connexion refusée."
            ) from None
        audience = claims.get("aud")
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self.client_id:
            raise SignInFailed("Le jeton d'identité est destiné à un autre service : connexion refusée.")
        return claims

    def _userinfo(self, access_token: str) -> dict[str, Any]:
        """The userinfo answer: a JWT signed by the provider (ProConnect), or JSON."""
        endpoint = self.metadata().get("userinfo_endpoint")
        if not isinstance(endpoint, str):
            return {}
        try:
            response = self._http.get(
                endpoint,
                headers={
                    "Authorization": f"Bearer {access_token}",
                    "Accept": "application/jwt, application/json",
                },
                timeout=self._timeout,
            )
        except requests.RequestException:
            raise ProviderUnavailable(
                "Le fournisseur d'identité ne répond pas. Réessayez dans un instant."
            ) from None
        if response.status_code != 200:
            raise SignInFailed("Le fournisseur d'identité a refusé de donner les informations d'identité.")
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if media_type == "application/jwt":
            rules = JWTClaimsRegistry(leeway=LEEWAY_SECONDS, sub={"essential": True})
            claims = self._verified(response.text.strip(), rules, "userinfo")
            if "iss" in claims and str(claims["iss"]).rstrip("/") != self.issuer:
                raise SignInFailed("Les informations d'identité ne viennent pas du fournisseur attendu.")
            audience = claims.get("aud")
            if audience is not None and self.client_id not in (
                audience if isinstance(audience, list) else [audience]
            ):
                raise SignInFailed("Les informations d'identité sont destinées à un autre service.")
            return claims
        try:
            found = response.json()
        except ValueError:
            raise SignInFailed("Les informations d'identité sont illisibles.") from None
        if not isinstance(found, dict):
            raise SignInFailed("Les informations d'identité sont illisibles.")
        return found

    # ---------------------------------------------------------------------------------------- sign-out
    def end_session_url(self, id_token: str, post_logout_redirect_uri: str) -> str | None:
        """Where to send the browser so that the provider's session ends too (RP-initiated logout), or
        None when the provider offers no such endpoint."""
        endpoint = self.metadata().get("end_session_endpoint")
        if not isinstance(endpoint, str):
            return None
        query = urlencode(
            {
                "id_token_hint": id_token,
                "post_logout_redirect_uri": post_logout_redirect_uri,
                "state": generate_token(32),
                "client_id": self.client_id,
            }
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

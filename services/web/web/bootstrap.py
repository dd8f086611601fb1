"""The composition root of the web front: the adapters it talks through, built once per process.

The web front is no service with a database (decision 0009): its adapters are the pool of HTTP
connections to the three services and the shared revocation list, which it writes at sign-out
(decision 0015). `create_app` mounts them; the views reach them through the app.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests

from cnum_shared.framework.revocation import RevocationList
from web.adapters.identity import IdentityProvider
from web.config import WebSettings


@dataclass
class WebAdapters:
    #: One pool of connections to the services for the whole process (`web.adapters.services`).
    http: requests.Session
    revocations: RevocationList
    #: The OpenID provider officers sign in at (decision 0042); read lazily: the web front starts while
    #: the provider is down, and its sign-in page says so.
    identity: IdentityProvider


def bootstrap(settings: WebSettings) -> WebAdapters:
    """Build the adapters; fail at start-up, not at the first sign-in, without a usable private key."""
    settings.signing_key()
    http = requests.Session()
    return WebAdapters(
        http=http,
        revocations=RevocationList(settings.revocation_database_url),
        identity=IdentityProvider(
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            scopes=settings.oidc_scopes,
            http=http,
            timeout=settings.service_timeout_seconds,
            metadata_seconds=settings.oidc_metadata_seconds,
        ),
    )

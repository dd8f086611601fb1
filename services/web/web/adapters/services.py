"""The three services' HTTP APIs, called with the signed-in officer's own token.

The web front holds no data: every page is what the services answer to this officer, so the roles and
the structure scoping of the APIs apply unchanged (a structure user sees only its own structure).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests


@dataclass
class ServiceError(Exception):
    """A service refused the request (4xx) or could not be reached (503); `message` is French already."""

    status: int
    message: str
    errors: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status}: {self.message}"


@dataclass
class Page:
    """One page of a list, with the pagination the services put in `X-Pagination`."""

    items: list[dict[str, Any]]
    total: int
    page: int
    last_page: int


class Services:
    """Calls to the services on behalf of one officer."""

    def __init__(
        self,
        urls: dict[str, str],
        token: str,
        http: requests.Session,
        timeout: float,
        *,
        client_address: str | None = None,
    ) -> None:
        self._urls = urls
        self._token = token
        self._http = http
        self._timeout = timeout
        # The officer's browser, for the services' logs: they believe this header from the web front only
        # (CNUM_TRUSTED_PROXIES). Whatever the browser sent in its own X-Forwarded-For is not passed on.
        self._forwarded = {"X-Forwarded-For": client_address} if client_address else {}

    def get(self, service: str, path: str, **params: Any) -> Any:
        return self._call("GET", service, path, params=_clean(params)).json()

    def page(self, service: str, path: str, **params: Any) -> Page:
        response = self._call("GET", service, path, params=_clean(params))
        pagination = _pagination(response)
        return Page(
            items=response.json(),
            total=int(pagination.get("total", 0)),
            page=int(pagination.get("page", 1)),
            last_page=int(pagination.get("last_page", 1)),
        )

    def post(
        self,
        service: str,
        path: str,
        json: Any = None,
        *,
        files: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        response = self._call(
            "POST", service, path, json=json if files is None else None, files=files, headers=headers
        )
        return response.json() if response.content else None

    def patch(self, service: str, path: str, json: Any) -> Any:
        response = self._call("PATCH", service, path, json=json)
        return response.json() if response.content else None

    def download(self, service: str, path: str, **params: Any) -> requests.Response:
        """A file answer (PDF, DOCX, ZIP, XML), streamed to the browser as it arrives."""
        return self._call("GET", service, path, params=_clean(params), stream=True)

    def _call(self, method: str, service: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {
            "Authorization": f"Bearer {self._token}",
            **self._forwarded,
            **(kwargs.pop("headers", None) or {}),
        }
        try:
            response = self._http.request(
                method,
                self._urls[service] + "/api/v1" + path,
                headers=headers,
                timeout=self._timeout,
                **kwargs,
            )
        except requests.RequestException:
            raise ServiceError(
                503, f"Le service « {service} » ne répond pas. Réessayez dans un instant."
            ) from None
        if response.status_code >= 400:
            raise _error(response)
        return response


def _clean(params: dict[str, Any]) -> dict[str, Any]:
    """Drop empty filters: an empty form field means 'any'."""
    return {key: value for key, value in params.items() if value not in (None, "")}


def _pagination(response: requests.Response) -> dict[str, Any]:
    import json

    try:
        return dict(json.loads(response.headers.get("X-Pagination", "{}")))
    except ValueError:
        return {}


def _error(response: requests.Response) -> ServiceError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    message = body.get("message") if isinstance(body, dict) else None
    errors = body.get("errors") if isinstance(body, dict) else None
    return ServiceError(
        response.status_code,
        str(message or f"Le service a répondu {response.status_code}."),
        errors if isinstance(errors, dict) else {},
    )

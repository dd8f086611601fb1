"""cnum's back-office web interface: server-rendered French pages for legal, finance and compliance
officers and for host structures, built on the three services' HTTP APIs (docs/decisions/0009)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask, render_template, session
from flask_wtf.csrf import CSRFError, CSRFProtect

from web.adapters.services import ServiceError
from web.bootstrap import bootstrap
from web.config import settings_from_environment
from web.sessions import install_sessions
from web.views import auth, compliance, dashboard, finance, legal, officers, pages, structure
from web.views.common import describe_errors, field_errors, page_messages
from web.views.filters import register_filters

csrf = CSRFProtect()


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The WSGI app; `config` overrides environment settings by field name (tests pass a mapping)."""
    settings = settings_from_environment(dict(config or {}))
    app = Flask(__name__)
    app.config.update(
        WEB_SETTINGS=settings,
        SECRET_KEY=settings.session_secret(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(settings.cookie_secure),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        # A session lasts as long as the token it holds, from sign-in: it is not stored again (nor its
        # lifetime renewed) on every request, only when it changes.
        SESSION_REFRESH_EACH_REQUEST=False,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=settings.session_hours * 3600,
    )
    install_sessions(app, settings)
    csrf.init_app(app)
    adapters = bootstrap(settings)
    app.extensions["cnum_web_http"] = adapters.http
    # Sign-out writes to the shared revocation list.
    app.extensions["cnum_revocations"] = adapters.revocations
    app.extensions["cnum_identity"] = adapters.identity
    register_filters(app)
    for module in (auth, legal, finance, compliance, structure, officers, pages, dashboard):
        app.register_blueprint(module.blp)

    @app.get("/healthz")
    def healthz() -> Any:
        """The process answers (the services it calls are not checked here)."""
        return {"status": "ok"}

    app.jinja_env.globals.update(field_errors=field_errors, page_messages=page_messages)

    @app.context_processor
    def officer() -> dict[str, Any]:
        if not session.get("role"):
            return {"officer": None}
        hidden = ("token", "id_token")
        return {"officer": {key: value for key, value in session.items() if key not in hidden}}

    @app.after_request
    def security_headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"
        )
        return response

    def error_page(status: int, title: str, message: str) -> Any:
        return render_template("error.html", status=status, title=title, message=message), status

    @app.errorhandler(403)
    def forbidden(_: Any) -> Any:
        return error_page(403, "Accès refusé", "Votre rôle ne permet pas d'ouvrir cette page.")

    @app.errorhandler(404)
    def not_found(_: Any) -> Any:
        return error_page(404, "Page introuvable", "Cette page n'existe pas ou ne vous est pas accessible.")

    @app.errorhandler(413)
    def too_large(_: Any) -> Any:
        return error_page(413, "Fichier trop volumineux", "Le fichier dépasse la taille autorisée (20 Mo).")

    @app.errorhandler(CSRFError)
    def csrf_refused(_: Any) -> Any:
        return error_page(
            400, "Formulaire expiré", "Le formulaire a expiré ou vient d'un autre site : rechargez la page."
        )

    @app.errorhandler(ServiceError)
    def service_refused(error: ServiceError) -> Any:
        logging.getLogger("web").warning("service refused: %s %s", error, error.errors)
        message = error.message + "".join(f" — {line}" for line in describe_errors(error.errors))
        status = error.status if 400 <= error.status < 600 else 502
        return error_page(status, "Demande refusée" if status < 500 else "Service indisponible", message)

    return app

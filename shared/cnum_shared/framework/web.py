"""What every service's Flask app has in common: the JSON error shape, health probes, OpenAPI docs, auth.

A service's `create_app` builds its settings and database, then calls `build_app` with its blueprints.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import wraps
from operator import itemgetter
from typing import Any, TypeVar, cast

import flask_smorest
import flask_smorest.pagination
import marshmallow as ma
import swagger_ui_bundle
from flask import Flask, Response, current_app, g, request, send_from_directory
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DisconnectionError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable
from werkzeug.http import HTTP_STATUS_CODES

from cnum_shared.core.addresses import forwarded_client
from cnum_shared.core.errors import DomainError
from cnum_shared.framework.auth import AuthenticationError, Principal, Role, decode_token

# Re-exported: the API modules take them from here with the rest of the web kit.
from cnum_shared.framework.context import API_PREFIX as API_PREFIX
from cnum_shared.framework.context import ServiceContext as ServiceContext
from cnum_shared.framework.db import ping
from cnum_shared.framework.dumping import plan_dumping
from cnum_shared.framework.read_cache import CachedAnswer

logger = logging.getLogger(__name__)

#: Lists answer 20 items a page by default, 100 at most (DESIGN §5).
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
#: flask-smorest bounds the page size, not the page: a page of 10**30 overflows the database's OFFSET
#: (a 500). Past this page there is nothing to list anyway.
MAX_PAGE = 1_000_000
_smorest_pagination_schema = flask_smorest.pagination._pagination_parameters_schema_factory


def _bounded_pagination_schema(def_page: int, def_page_size: int, def_max_page_size: int) -> Any:
    base = _smorest_pagination_schema(def_page, def_page_size, def_max_page_size)

    class BoundedPaginationParametersSchema(base):  # type: ignore[misc, valid-type]
        page = ma.fields.Integer(load_default=def_page, validate=ma.validate.Range(min=1, max=MAX_PAGE))

    # An instance, not the class: webargs would build a new schema (deep copies of its fields) on every
    # request of every list.
    return BoundedPaginationParametersSchema()


flask_smorest.pagination._pagination_parameters_schema_factory = _bounded_pagination_schema

F = TypeVar("F", bound=Callable[..., Any])


def service_context() -> ServiceContext:
    return cast(ServiceContext, current_app.extensions["cnum"])


def abort(
    code: int, message: str, *, errors: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> Any:
    """Stop the request with the project's JSON error body: `{code, status, message, errors}`."""
    kwargs: dict[str, Any] = {"message": message}
    if errors is not None:
        kwargs["errors"] = errors
    if headers is not None:
        kwargs["headers"] = headers
    flask_smorest.abort(code, **kwargs)


def current_principal() -> Principal:
    """The authenticated caller of this request (only inside a view protected by `Blueprint.roles`)."""
    principal = g.get("cnum_principal")
    if principal is None:
        raise RuntimeError("current_principal() outside a view protected by Blueprint.roles")
    return cast(Principal, principal)


def authenticate() -> Principal:
    """Read and verify the bearer token of the current request, or answer 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(
            401,
            "Authentification requise : en-tête « Authorization: Bearer <jeton> » manquant.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    context = service_context()
    try:
        principal = decode_token(token.strip(), context.verification_keys)
        if context.revocations.is_revoked(principal):
            raise AuthenticationError(
                "le jeton a été révoqué (déconnexion ou révocation par un administrateur)"
            )
    except AuthenticationError as error:
        abort(401, str(error), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    g.cnum_principal = principal
    return principal


def client_address() -> str | None:
    """The client's address for the logs (audit, downloads): `X-Forwarded-For` is believed only from the
    proxies of `CNUM_TRUSTED_PROXIES` (the web front), never from anyone else."""
    return forwarded_client(
        request.remote_addr,
        request.headers.get("X-Forwarded-For"),
        service_context().settings.trusted_networks,
    )


def ensure_structure_visible(structure_id: object, not_found: str = "Ressource introuvable.") -> None:
    """A structure user asking for another structure's resource gets a 404, as if it did not exist:
    `not_found` is the message the view gives for an id that does not exist, so that the two answers
    are the same."""
    if not current_principal().may_see_structure(str(structure_id)):
        abort(404, not_found)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with a `roles` decorator that authenticates, authorizes and documents."""

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        """As flask-smorest's, with the schema built once: given a class, webargs builds a new schema
        (deep copies of its fields) on every request."""
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)

    def response(self, status_code: Any, schema: Any = None, **kwargs: Any) -> Any:
        """As flask-smorest's, with the schema's serialization planned once (framework.dumping): the same
        JSON, without marshmallow deciding again for every value of every item how to read it."""
        if schema is not None:
            schema = plan_dumping(schema() if isinstance(schema, type) else schema)
        return super().response(status_code, schema, **kwargs)

    @staticmethod
    def _make_pagination_metadata(page: int, page_size: int, item_count: int) -> dict[str, int]:
        """flask-smorest's X-Pagination, the same keys in the same order, without building and dumping its
        schema of integers on every request of every list."""
        metadata = {"total": item_count}
        if item_count == 0:
            metadata["total_pages"] = 0
            return metadata
        last_page = (item_count - 1) // page_size + 1
        metadata.update(total_pages=last_page, first_page=1, last_page=last_page)
        if page <= last_page:
            metadata["page"] = page
            if page > 1:
                metadata["previous_page"] = page - 1
            if page < last_page:
                metadata["next_page"] = page + 1
        return metadata

    def roles(self, *roles: Role) -> Callable[[F], F]:
        """Only these roles may call the view (401 without a valid token, 403 for another role).

        Put it above `@arguments` so that an unauthenticated caller never learns about validation.
        """
        allowed = frozenset(roles)

        def decorator(view: F) -> F:
            @wraps(view)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                principal = authenticate()
                if principal.role not in allowed:
                    abort(403, f"Le rôle « {principal.role.value} » ne permet pas cette opération.")
                return view(*args, **kwargs)

            documented = self.alt_response(401, description="Jeton absent ou invalide")(
                self.alt_response(403, description="Rôle non autorisé")(wrapper)
            )
            return cast(
                F,
                self.doc(security=[{"bearerAuth": []}], **{"x-roles": sorted(r.value for r in allowed)})(
                    documented
                ),
            )

        return decorator

    def cached(self, read_model: str, *, uncached_args: tuple[str, ...] = ()) -> Callable[[F], F]:
        """Serve the view's 200 answers from the process's read cache (framework.read_cache, decision 0040):
        the answer rendered for the same data version of `read_model`, the same caller's scope (role and
        structure), the same path and the same query. Put it right below `roles`, so that every request is
        still authenticated and authorized before anything is read, and above `arguments`, `response` and
        `paginate`, whose work a hit skips.

        Only for a view whose 200 answer depends on nothing else: not on the clock, not on who the caller
        is beyond role and structure, not on a table the read model's triggers do not watch.
        A query that names one of `uncached_args` is answered afresh every time: it filters on a column
        the triggers do not watch (a structure's department moves without moving the version).

        Why a page served is never older than the data: the version is read first, in its own statement,
        and the page (on a miss) afterwards. Each read sees every transaction committed before it began
        (SQLite's WAL snapshot, PostgreSQL's snapshot per statement), and a writer's triggers move the
        version in the writer's own transaction, so a page kept under version V was read from data at
        least as new as V. A request that reads V therefore gets a page that holds every write committed
        before its own read of the version; a write committed after that read moves the version, and the
        next request misses."""

        def decorator(view: F) -> F:
            @wraps(view)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                context = service_context()
                cache = context.read_cache
                if not cache.enabled or any(name in request.args for name in uncached_args):
                    return view(*args, **kwargs)
                version = context.read_model_versions.current(read_model)
                if version is None:
                    return view(*args, **kwargs)
                principal = current_principal()
                key = (
                    read_model,
                    version,
                    principal.role,
                    principal.structure_id,
                    request.path,
                    # By name only, a stable sort: the values of a repeated name keep their order.
                    tuple(sorted(request.args.items(multi=True), key=itemgetter(0))),
                )
                answer = cache.get(key)
                if answer is not None:
                    return current_app.response_class(answer.body, answer.status, list(answer.headers))
                response = view(*args, **kwargs)
                if (
                    isinstance(response, Response)
                    and response.status_code == 200
                    and not response.is_streamed
                    and not response.direct_passthrough
                ):
                    headers = tuple(response.headers.items())
                    cache.put(key, CachedAnswer(response.status_code, headers, response.get_data()))
                return response

            return cast(F, wrapper)

        return decorator

    def links(self, status: int, **links: dict[str, Any]) -> Callable[[F], F]:
        """Document OpenAPI `links` on the `status` response: which operations its ids lead to (clients
        and schemathesis's stateful tests follow them). Each value is made by `link`."""
        return cast(Callable[[F], F], self.doc(responses={status: {"links": links}}))


def _decimal_on_the_wire(converter: Any, field: ma.fields.Field[Any], ret: dict[str, Any]) -> dict[str, Any]:
    """Amounts travel as strings ("50000.00", DESIGN §5): a Decimal sent `as_string` is documented as a
    string, not the number apispec writes for every Decimal."""
    if isinstance(field, ma.fields.Decimal) and field.as_string:
        return {"type": "string", "format": "decimal"}
    return {}


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _refuse_nul_characters() -> None:
    """A NUL character is in no French text, and PostgreSQL refuses it in a text column: a request that
    carries one in its query, its form or its JSON is a 422, before it can reach a query (never a 500)."""
    where = {
        "query": request.args.items(multi=True),
        "form": request.form.items(multi=True) if request.mimetype == "multipart/form-data" else (),
    }
    for location, items in where.items():
        for name, value in items:
            if _has_nul(name) or _has_nul(value):
                abort(
                    422,
                    "Caractère NUL interdit.",
                    errors={location: {name.replace("\x00", ""): ["caractère NUL interdit"]}},
                )
    if request.is_json and _has_nul(request.get_json(silent=True)):
        abort(422, "Caractère NUL interdit.", errors={"json": {"_schema": ["caractère NUL interdit"]}})


def link(path: str, method: str, **parameters: str) -> dict[str, Any]:
    """An OpenAPI link to `method path` (`path` under /api/v1, as in the spec), its parameters taken from
    the answer (`$response.body#/id`) or the request (`$request.path.structure_id`)."""
    pointer = (API_PREFIX + path).replace("~", "~0").replace("/", "~1")
    return {"operationRef": f"#/paths/{pointer}/{method}", "parameters": parameters}


#: What the caller reads when the code raised no message of its own.
_DEFAULT_MESSAGES = {
    400: "Requête invalide.",
    401: "Authentification requise.",
    403: "Accès refusé.",
    404: "Ressource introuvable.",
    405: "Méthode non autorisée pour cette adresse.",
    409: "Conflit avec l'état actuel de la ressource.",
    413: "Requête trop volumineuse.",
    415: "Type de contenu non pris en charge.",
    422: "Données invalides.",
    429: "Trop de requêtes ; réessayez plus tard.",
    503: "Service momentanément indisponible ; réessayez plus tard.",
}


def _error_response(error: HTTPException) -> ResponseReturnValue:
    """Every error, 404/405/413 and unexpected exceptions included, in one JSON shape."""
    code = error.code or 500
    payload: dict[str, Any] = {"code": code, "status": error.name}
    data = getattr(error, "data", None) or {}
    headers: dict[str, str] = dict(data.get("headers") or {})
    if code >= 500 and isinstance(error, InternalServerError):
        message = (
            "Erreur interne du serveur. L'incident est journalisé ; réessayez ou contactez l'assistance."
        )
    else:
        message = data.get("message") or _DEFAULT_MESSAGES.get(code) or error.description or error.name
    payload["message"] = message
    if "errors" in data:
        payload["errors"] = data["errors"]
    elif "messages" in data:  # webargs puts validation errors there
        payload["errors"] = data["messages"]
    valid_methods = getattr(error, "valid_methods", None)
    if code == 405 and valid_methods:
        headers.setdefault("Allow", ", ".join(valid_methods))
    return payload, code, headers


def _domain_error(error: DomainError) -> ResponseReturnValue:
    """The one registry of refusals: a use case raises a `DomainError` subclass, whose class says the
    status (core.errors), and every service answers it in DESIGN §5's shape without a try in its views."""
    payload: dict[str, Any] = {"code": error.status, "status": HTTP_STATUS_CODES.get(error.status, "Error")}
    payload["message"] = error.message
    if error.errors is not None:
        payload["errors"] = error.errors
    return payload, error.status, dict(error.headers or {})


def _unexpected_error(error: Exception) -> ResponseReturnValue:
    if isinstance(error, OperationalError | DisconnectionError):
        # The database is unreachable (restarting, network cut): say so and when to retry, rather than a
        # 500. The pool checks connections before use, so the service recovers by itself.
        logger.error("database unavailable on %s %s: %s", request.method, request.path, error)
        unavailable = ServiceUnavailable()
        unavailable.data = {  # type: ignore[attr-defined]
            "message": "Base de données momentanément indisponible ; réessayez dans un instant.",
            "headers": {"Retry-After": "5"},
        }
        return _error_response(unavailable)
    logger.exception("unexpected error on %s %s", request.method, request.path)
    return _error_response(InternalServerError())


#: What every file a service sends back carries besides `Content-Disposition: attachment`: never sniffed,
#: not cached by a shared cache, and a policy that lets nothing run should a browser render it anyway.
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox; frame-ancestors 'none'",
    "Cache-Control": "private, no-store",
}


def build_app(
    import_name: str,
    *,
    context: ServiceContext,
    title: str,
    description: str,
    blueprints: Iterable[flask_smorest.Blueprint],
    version: str = "1.0.0",
) -> Flask:
    """A Flask app with the project's common parts; `blueprints` are mounted under `/api/v1`."""
    app = Flask(import_name)
    app.config.update(
        API_TITLE=title,
        API_VERSION=version,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/docs/static/",
        MAX_CONTENT_LENGTH=context.settings.max_content_length,
        # Unexpected exceptions become our JSON 500, in tests too.
        PROPAGATE_EXCEPTIONS=False,
        JSON_SORT_KEYS=False,
    )
    app.extensions["cnum"] = context
    # Fail at start-up, not at the first request, when the keys or the revocation list are unusable.
    _ = context.verification_keys, context.revocations
    api = flask_smorest.Api(
        app,
        spec_kwargs={
            "info": {"description": description},
            "servers": [{"url": "/"}],
        },
    )
    api.ma_plugin.converter.add_attribute_function(_decimal_on_the_wire)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    app.register_error_handler(HTTPException, _error_response)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(Exception, _unexpected_error)

    api.register_blueprint(_health_blueprint())
    # Imported here: the revocation API is built on this module's Blueprint.
    from cnum_shared.framework.revocation_api import revocations_blueprint

    for blueprint in [*blueprints, revocations_blueprint()]:
        api.register_blueprint(blueprint, url_prefix=API_PREFIX + (blueprint.url_prefix or ""))

    static_dir = swagger_ui_bundle.swagger_ui_path

    @app.get("/docs/static/<path:filename>")
    def swagger_ui_static(filename: str) -> ResponseReturnValue:
        # Served locally so that the docs work on a machine without Internet access.
        return send_from_directory(static_dir, filename)

    app.before_request(_refuse_nul_characters)

    @app.teardown_appcontext
    def _forget_principal(_: BaseException | None) -> None:
        g.pop("cnum_principal", None)

    app.after_request(_file_headers)
    return app


def _file_headers(response: Response) -> Response:
    """Nothing a service answers is sniffed; a file (any answer with a Content-Disposition: a generated
    document, a countersigned copy as uploaded, a batch's ZIP, a SEPA file) is a download, never shown
    inline, under a policy that lets nothing in it run should a browser render it anyway."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    disposition = response.headers.get("Content-Disposition")
    if disposition is not None:
        if not disposition.lstrip().lower().startswith("attachment"):
            response.headers["Content-Disposition"] = "attachment;" + disposition.partition(";")[2]
        for name, value in DOWNLOAD_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


def _health_blueprint() -> flask_smorest.Blueprint:
    blp = flask_smorest.Blueprint("health", __name__, description="Sondes de vie et de disponibilité")

    @blp.route("/healthz")
    @blp.response(200, description="Le processus répond.")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service_context().name}

    @blp.route("/readyz")
    @blp.response(200, description="La base de données répond.")
    @blp.alt_response(503, description="La base de données ne répond pas.")
    def readyz() -> dict[str, str]:
        context = service_context()
        try:
            ping(context.database.engine)
        except Exception as error:  # any driver error means "not ready"
            logger.warning("readiness check failed: %s", type(error).__name__)
            abort(503, "Base de données injoignable.", headers={"Retry-After": "5"})
        return {"status": "ready", "service": context.name}

    return blp

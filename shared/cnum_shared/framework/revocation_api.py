"""`/api/v1/revocations`: an administrator revokes a token or an account's tokens; every service has it.

The list is shared (cnum_shared.framework.revocation), so a revocation made through any service holds
for all three and for the web front within the cache delay.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import MAX_PAGE_SIZE, PAGE_SIZE, Blueprint, current_principal, service_context


class RevocationRequestSchema(Schema):
    jti = fields.String(
        validate=validate.Length(min=1, max=64), metadata={"description": "one token, by its `jti`"}
    )
    sub = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "an account: every token it holds, issued until now"},
    )
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))

    @validates_schema
    def _one_target(self, data: dict[str, Any], **_: Any) -> None:
        if ("jti" in data) == ("sub" in data):
            raise ValidationError("Indiquez soit « jti » (un jeton), soit « sub » (un compte).", "jti")


class RevocationSchema(Schema):
    jti = fields.String(allow_none=True)
    sub = fields.String(allow_none=True)
    issued_up_to = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime()
    revoked_at = fields.DateTime()
    revoked_by = fields.String()
    reason = fields.String()


def revocations_blueprint() -> Blueprint:
    blp = Blueprint(
        "revocations",
        __name__,
        url_prefix="/revocations",
        description="Révocation des jetons (déconnexion, départ d'un agent, jeton compromis)",
    )

    @blp.route("")
    class Revocations(MethodView):
        @blp.roles(Role.ADMIN)
        @blp.arguments(RevocationRequestSchema)
        @blp.response(201, RevocationSchema)
        def post(self, body: dict[str, Any]) -> Any:
            """Revoke one token, or every token of an account issued until now."""
            revocations = service_context().revocations
            by = current_principal().sub
            if "jti" in body:
                return revocations.revoke_jti(body["jti"], by=by, reason=body["reason"])
            return revocations.revoke_subject(body["sub"], by=by, reason=body["reason"])

        @blp.roles(*READERS)
        @blp.response(200, RevocationSchema(many=True))
        @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
        def get(self, pagination_parameters: Any) -> list[Any]:
            """The revocations still in force, newest first."""
            entries = service_context().revocations.entries()
            pagination_parameters.item_count = len(entries)
            first = pagination_parameters.first_item
            return entries[first : first + pagination_parameters.page_size]

    return blp

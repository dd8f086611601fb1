"""`/conventions/{id}/downloads`: who downloaded the convention's documents."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from cnum_shared.framework.auth import READERS, Role
from conventions.api.documents import blp, unit_of_work
from conventions.service_layer.documents import list_downloads


class DownloadSchema(Schema):
    id = fields.UUID()
    template_name = fields.String()
    subject_id = fields.UUID()
    downloaded_by = fields.String()
    role = fields.String()
    format = fields.String()
    sha256 = fields.String(metadata={"description": "SHA-256 du document téléchargé"})
    template_sha256 = fields.String(
        allow_none=True, metadata={"description": "version du modèle (SHA-256) ; vide pour une copie signée"}
    )
    client_address = fields.String(allow_none=True)
    downloaded_at = fields.AwareDateTime()


@blp.route("/conventions/<uuid:convention_id>/downloads")
class Downloads(MethodView):
    @blp.roles(Role.LEGAL, *READERS)
    @blp.response(200, DownloadSchema(many=True))
    def get(self, convention_id: uuid.UUID) -> Any:
        """Who downloaded the convention's documents: who, role, when, format, hashes, client address."""
        with unit_of_work(read_only=True) as uow:
            return list_downloads(uow, convention_id)

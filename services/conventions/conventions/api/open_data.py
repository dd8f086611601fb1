"""`/api/v1/open-data`: the legal open data of the subsidy conventions, public (no token): décret
n° 2017-779 requires their essential data to be freely accessible (decision 0029)."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Response, request
from flask.views import MethodView

from cnum_shared.framework.web import Blueprint
from conventions.api.context import today, unit_of_work
from conventions.service_layer import queries

blp = Blueprint(
    "open_data", __name__, url_prefix="/open-data", description="Données ouvertes (accès public, sans jeton)"
)

#: A public file, rebuilt from the database on each miss: shared caches may keep it an hour (the data
#: change with a signature, a few times a day at most), and a client revalidates with its ETag.
CACHE_CONTROL = "public, max-age=3600"


@blp.route("/subventions.csv")
class Subsidies(MethodView):
    @blp.doc(
        summary="Données essentielles des conventions de subvention (SCDL « Subventions » 2.1.1)",
        security=[],
        responses={
            "200": {
                "description": "Fichier CSV (UTF-8, séparateur virgule) au schéma SCDL « Subventions » "
                "2.1.1 : une ligne par convention signée dont le montant annuel dépasse le seuil du décret "
                "n° 2001-495 (paramètre open_data.threshold_yearly_amount).",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            },
            "304": {"description": "Le fichier n'a pas changé depuis l'ETag présenté."},
        },
    )
    def get(self) -> Any:
        """The essential data of every convention signed up to today whose yearly amount is above the
        threshold, as the décret asks them published; no token needed."""
        with unit_of_work(read_only=True) as uow:
            content = queries.open_data_subsidies(uow, today()).csv()
        response = Response(content, mimetype="text/csv")
        response.set_etag(hashlib.sha256(content).hexdigest())
        response.headers["Cache-Control"] = CACHE_CONTROL
        response.headers["Content-Disposition"] = 'attachment; filename="subventions.csv"'
        return response.make_conditional(request)

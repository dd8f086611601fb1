"""`/api/v1/statistics/conventions`: the programme's posts by region and department, and the conventions
ending by month, counted in the database for the dashboard of the web front (decision 0043)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from cnum_shared.core.wire import legal_date
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import Blueprint
from conventions.api.context import today, unit_of_work
from conventions.service_layer import queries

blp = Blueprint(
    "statistics", __name__, url_prefix="/statistics", description="Chiffres du programme (tableau de bord)"
)


class StatisticsQuerySchema(Schema):
    as_of = legal_date(metadata={"description": "le jour des postes en cours (par défaut : aujourd'hui)"})
    months = fields.Integer(
        load_default=12,
        validate=validate.Range(min=1, max=36, error="De 1 à 36 mois."),
        metadata={"description": "les mois de fins de convention listés, à partir de celui de `as_of`"},
    )


class PostsSchema(Schema):
    conventions = fields.Integer(metadata={"description": "conventions en cours ce jour-là"})
    posts = fields.Integer(metadata={"description": "postes qu'elles attribuent"})
    filled = fields.Integer(metadata={"description": "postes pourvus : contrats en cours ce jour-là"})


class RegionPostsSchema(PostsSchema):
    code = fields.String(
        metadata={"description": "code INSEE de la région, ou de la collectivité d'outre-mer (975…)"}
    )
    name = fields.String()


class DepartmentPostsSchema(PostsSchema):
    code = fields.String(metadata={"description": "code du département (15, 2A, 974…)"})
    name = fields.String()
    region = fields.String(metadata={"description": "code de sa région"})


class ProgrammePostsSchema(Schema):
    total = fields.Nested(PostsSchema)
    regions = fields.List(fields.Nested(RegionPostsSchema))
    departments = fields.List(fields.Nested(DepartmentPostsSchema))


class MonthEndingsSchema(Schema):
    month = fields.String(metadata={"description": "AAAA-MM"})
    first_day = fields.Date()
    last_day = fields.Date()
    conventions = fields.Integer(metadata={"description": "conventions en cours qui finissent ce mois-là"})
    posts = fields.Integer()


class UnclosedSchema(Schema):
    before = fields.Date()
    conventions = fields.Integer(
        metadata={"description": "conventions finies avant ce jour, ni clôturées ni résiliées"}
    )
    posts = fields.Integer()


class EndingsSchema(Schema):
    first_day = fields.Date()
    last_day = fields.Date()
    months = fields.List(fields.Nested(MonthEndingsSchema))
    ended_unclosed = fields.Nested(UnclosedSchema)


class ProgrammeConventionsSchema(Schema):
    as_of = fields.Date()
    posts = fields.Nested(ProgrammePostsSchema)
    endings = fields.Nested(EndingsSchema)


@blp.route("/conventions")
class ProgrammeConventions(MethodView):
    @blp.roles(Role.LEGAL, Role.FINANCE, *READERS)
    @blp.arguments(StatisticsQuerySchema, location="query")
    @blp.response(200, ProgrammeConventionsSchema)
    def get(self, query: dict[str, Any]) -> Any:
        """Posts granted and filled on a day, in all, by region and by department; the conventions in force
        ending in each month; each a count made in the database."""
        with unit_of_work(read_only=True) as uow:
            return queries.programme_conventions(uow, query.get("as_of") or today(), query["months"])

"""`/api/v1/conventions`: subsidy conventions, their signature, end and avenants (legal officers)."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from cnum_shared.core.territories import all_regions, all_territories
from cnum_shared.core.wire import WAVES, legal_date, money_field
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    Blueprint,
    current_principal,
    ensure_structure_visible,
    link,
)
from conventions.api.context import unit_of_work
from conventions.domain.conventions import ConventionAction, ConventionStatus
from conventions.service_layer import commands, queries
from conventions.service_layer import conventions as use_cases
from conventions.service_layer.unit_of_work import ConventionsUnitOfWork

blp = Blueprint("conventions", __name__, url_prefix="/conventions", description="Conventions de subvention")

#: The territories the list may be filtered on (a dashboard's figure leads to its list, decision 0043).
DEPARTMENT_CODES = [place.code for place in all_territories()]
REGION_CODES = [region.code for region in all_regions()]


class ConventionFieldsSchema(Schema):
    structure_id = fields.UUID(required=True)
    wave = fields.String(required=True, validate=validate.OneOf(WAVES))
    posts = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000))
    start_date = legal_date(required=True)
    duration_months = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=36))


class PlannedTrancheSchema(Schema):
    number = fields.Integer()
    due_on = fields.Date(
        allow_none=True, metadata={"description": "vide avant la signature (due à la signature)"}
    )
    amount = money_field(required=False)


class FundingPeriodSchema(Schema):
    number = fields.Integer()
    starts_on = fields.Date()
    ends_on = fields.Date()
    months = fields.Integer()
    amount_per_post = money_field(required=False)
    monthly_rate = money_field(
        required=False,
        metadata={"description": "montant par poste ÷ mois de la période, arrondi au centime (affichage)"},
    )


class ConventionSchema(ConventionFieldsSchema):
    id = fields.UUID(dump_only=True)
    reference = fields.String(dump_only=True)
    structure_name = fields.String(
        attribute="structure.name", dump_only=True, metadata={"description": "le nom de la structure"}
    )
    status = fields.String(dump_only=True, metadata={"enum": [status.value for status in ConventionStatus]})
    initial_posts = fields.Integer(dump_only=True)
    end_date = fields.Date(dump_only=True)
    funded_months = fields.Integer(dump_only=True)
    amount_per_post = money_field(required=False, dump_only=True)
    total_amount = money_field(required=False, dump_only=True)
    signed_on = fields.Date(dump_only=True, allow_none=True)
    ended_on = fields.Date(dump_only=True, allow_none=True)
    end_reason = fields.String(dump_only=True, allow_none=True)
    tranches = fields.List(fields.Nested(PlannedTrancheSchema), dump_only=True)
    funding_periods = fields.Method(
        "_funding_periods",
        dump_only=True,
        metadata={"description": "périodes financées (article 6) : dates, montant et taux mensuel par poste"},
    )
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)

    def _funding_periods(self, convention: Any) -> Any:
        return FundingPeriodSchema(many=True).dump(use_cases.funding_periods_wire(convention))


class ConventionQuerySchema(Schema):
    structure_id = fields.UUID()
    status = fields.String(validate=validate.OneOf([status.value for status in ConventionStatus]))
    wave = fields.String(validate=validate.OneOf(WAVES))
    q = fields.String(
        validate=validate.Length(min=1, max=100), metadata={"description": "référence, nom ou SIRET"}
    )
    department = fields.String(
        validate=validate.OneOf(DEPARTMENT_CODES, error="Code de département inconnu : {input}."),
        metadata={"description": "les structures de ce département (code : 15, 2A, 974…)"},
    )
    region = fields.String(
        validate=validate.OneOf(REGION_CODES, error="Code de région inconnu : {input}."),
        metadata={"description": "les structures de cette région (code INSEE : 84…, ou 975… outre-mer)"},
    )
    running = fields.Boolean(
        metadata={"description": "en cours : signées ou modifiées par avenant, ni clôturées ni résiliées"}
    )
    active_on = legal_date(metadata={"description": "en cours ce jour-là : commencées et pas encore finies"})
    ends_from = legal_date(metadata={"description": "finissant ce jour ou après"})
    ends_to = legal_date(metadata={"description": "finissant ce jour ou avant"})


class SignatureSchema(Schema):
    signed_on = legal_date(required=True)


class EndSchema(Schema):
    on = legal_date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class AmendmentFieldsSchema(Schema):
    posts = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=1000))
    effective_date = legal_date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    requested_on = legal_date(
        load_default=None,
        allow_none=True,
        metadata={"description": "date de la demande de la structure (au plus tôt la signature)"},
    )
    contract_ended_on = legal_date(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "rupture du contrat de travail qui motive l'avenant (entre le début de la "
            "convention et la date d'effet)"
        },
    )


class AmendmentTrancheSchema(PlannedTrancheSchema):
    """A tranche as the avenant states it, with what was settled of it (decision 0025)."""

    settled = fields.String(
        allow_none=True,
        metadata={"description": "approved ou paid : la tranche était réglée quand l'avenant a été établi"},
    )
    stands_for = money_field(required=False, allow_none=True)
    already_paid = money_field(required=False, allow_none=True)
    supplement = money_field(
        required=False, allow_none=True, metadata={"description": "ligne complémentaire à payer"}
    )
    supplement_reduced = money_field(required=False, allow_none=True)
    to_recover = money_field(required=False, allow_none=True, metadata={"description": "à reverser"})


class AmendmentSchema(AmendmentFieldsSchema):
    id = fields.UUID(dump_only=True)
    convention_id = fields.UUID(dump_only=True)
    number = fields.Integer(dump_only=True)
    posts_before = fields.Integer(dump_only=True)
    total_before = money_field(required=False, dump_only=True)
    total_amount = money_field(required=False, dump_only=True)
    tranches = fields.Method(
        "_tranches", dump_only=True, metadata={"description": "l'échéancier complet que l'avenant fixe"}
    )
    status = fields.String(dump_only=True)
    signed_on = fields.Date(dump_only=True, allow_none=True)
    created_by = fields.String(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    paid_as_of = fields.Date(
        dump_only=True, allow_none=True, metadata={"description": "date des montants déjà payés"}
    )
    paid_to_date = money_field(required=False, dump_only=True, allow_none=True)
    amount_to_recover = money_field(required=False, dump_only=True, allow_none=True)

    def _tranches(self, amendment: Any) -> Any:
        return AmendmentTrancheSchema(many=True).dump(use_cases.amendment_schedule(amendment))


def visible_convention(uow: ConventionsUnitOfWork, convention_id: uuid.UUID) -> Any:
    """The convention, or a 404 when it does not exist or belongs to another structure."""
    convention = queries.convention(uow, convention_id)
    ensure_structure_visible(convention.structure_id, "Convention introuvable.")
    return convention


@blp.route("")
class Conventions(MethodView):
    @blp.roles(Role.LEGAL, Role.ADMIN)
    @blp.arguments(ConventionFieldsSchema)
    @blp.response(201, ConventionSchema)
    @blp.links(
        201,
        GetConvention=link("/conventions/{convention_id}", "get", convention_id="$response.body#/id"),
        SignConvention=link("/conventions/{convention_id}/sign", "post", convention_id="$response.body#/id"),
        AddAmendment=link(
            "/conventions/{convention_id}/amendments", "post", convention_id="$response.body#/id"
        ),
        Contracts=link("/conventions/{convention_id}/contracts", "get", convention_id="$response.body#/id"),
        Document=link("/conventions/{convention_id}/document", "get", convention_id="$response.body#/id"),
    )
    def post(self, fields: dict[str, Any]) -> Any:
        """A draft convention: amount per post, total and tranches from the parameters at its start date."""
        with unit_of_work() as uow:
            return use_cases.create_convention(
                uow, commands.CreateConvention(**fields, actor=current_principal().sub)
            )

    @blp.roles(Role.LEGAL, Role.STRUCTURE, *READERS)
    @blp.arguments(ConventionQuerySchema, location="query")
    @blp.response(200, ConventionSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """Conventions, newest first; a structure user sees only its own."""
        principal = current_principal()
        if principal.is_structure():
            query["structure_id"] = principal.structure_id
        with unit_of_work(read_only=True) as uow:
            page, total = queries.conventions(
                uow,
                queries.ConventionFilters(**query),
                pagination_parameters.first_item,
                pagination_parameters.page_size,
            )
        pagination_parameters.item_count = total
        return page


@blp.route("/<uuid:convention_id>")
class ConventionById(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, *READERS)
    @blp.response(200, ConventionSchema)
    def get(self, convention_id: uuid.UUID) -> Any:
        """One convention with its planned tranches."""
        with unit_of_work(read_only=True) as uow:
            return visible_convention(uow, convention_id)


@blp.route("/<uuid:convention_id>/sign")
class SignConvention(MethodView):
    @blp.roles(Role.LEGAL, Role.ADMIN)
    @blp.arguments(SignatureSchema)
    @blp.response(200, ConventionSchema)
    @blp.alt_response(409, description="Déjà signée")
    def post(self, body: dict[str, Any], convention_id: uuid.UUID) -> Any:
        """Sign the convention: tranche 1 falls due on the signing date; emits `convention.signed`."""
        with unit_of_work() as uow:
            return use_cases.sign_convention(
                uow, commands.SignConvention(convention_id, body["signed_on"], actor=current_principal().sub)
            )


@blp.route("/<uuid:convention_id>/terminate")
class TerminateConvention(MethodView):
    @blp.roles(Role.LEGAL, Role.ADMIN)
    @blp.arguments(EndSchema)
    @blp.response(200, ConventionSchema)
    def post(self, body: dict[str, Any], convention_id: uuid.UUID) -> Any:
        """Terminate early (résiliation); payments cancels the unpaid tranches."""
        return _end(convention_id, ConventionAction.TERMINATE, body)


@blp.route("/<uuid:convention_id>/close")
class CloseConvention(MethodView):
    @blp.roles(Role.LEGAL, Role.ADMIN)
    @blp.arguments(EndSchema)
    @blp.response(200, ConventionSchema)
    def post(self, body: dict[str, Any], convention_id: uuid.UUID) -> Any:
        """Close the convention at its end (clôture)."""
        return _end(convention_id, ConventionAction.CLOSE, body)


def _end(convention_id: uuid.UUID, action: ConventionAction, body: dict[str, Any]) -> Any:
    with unit_of_work() as uow:
        return use_cases.end_convention(
            uow,
            commands.EndConvention(
                convention_id, action, body["on"], body["reason"], actor=current_principal().sub
            ),
        )


@blp.route("/<uuid:convention_id>/amendments")
class Amendments(MethodView):
    @blp.roles(Role.LEGAL, Role.ADMIN)
    @blp.arguments(AmendmentFieldsSchema)
    @blp.response(201, AmendmentSchema)
    @blp.links(
        201,
        SignAmendment=link(
            "/conventions/{convention_id}/amendments/{amendment_id}/sign",
            "post",
            convention_id="$request.path.convention_id",
            amendment_id="$response.body#/id",
        ),
        AmendmentDocument=link(
            "/conventions/{convention_id}/amendments/{amendment_id}/document",
            "get",
            convention_id="$request.path.convention_id",
            amendment_id="$response.body#/id",
        ),
    )
    def post(self, fields: dict[str, Any], convention_id: uuid.UUID) -> Any:
        """Draft a convention avenant: the new number of posts from an effective date, and the new total."""
        with unit_of_work() as uow:
            return use_cases.draft_amendment(
                uow, commands.DraftAmendment(convention_id, created_by=current_principal().sub, **fields)
            )

    @blp.roles(Role.LEGAL, Role.STRUCTURE, *READERS)
    @blp.response(200, AmendmentSchema(many=True))
    def get(self, convention_id: uuid.UUID) -> Any:
        """The avenants of a convention, in order."""
        with unit_of_work(read_only=True) as uow:
            convention = visible_convention(uow, convention_id)
            return queries.amendments(uow, convention.id)


@blp.route("/<uuid:convention_id>/amendments/<uuid:amendment_id>")
class Amendment(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, *READERS)
    @blp.response(200, AmendmentSchema)
    def get(self, convention_id: uuid.UUID, amendment_id: uuid.UUID) -> Any:
        """One avenant: its schedule, what was paid and what is to recover, as its document states."""
        with unit_of_work(read_only=True) as uow:
            convention = visible_convention(uow, convention_id)
            return queries.amendment(uow, convention.id, amendment_id)


@blp.route("/<uuid:convention_id>/amendments/<uuid:amendment_id>/sign")
class SignAmendment(MethodView):
    @blp.roles(Role.LEGAL, Role.ADMIN)
    @blp.arguments(SignatureSchema)
    @blp.response(200, AmendmentSchema)
    def post(self, body: dict[str, Any], convention_id: uuid.UUID, amendment_id: uuid.UUID) -> Any:
        """Sign an avenant: the posts and total change; emits `convention.amended`."""
        with unit_of_work() as uow:
            return use_cases.sign_amendment(
                uow,
                commands.SignAmendment(
                    convention_id, amendment_id, body["signed_on"], actor=current_principal().sub
                ),
            )

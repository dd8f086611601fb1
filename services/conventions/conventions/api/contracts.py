"""`/api/v1/advisors`, candidates and `/api/v1/contracts`: recruiting on a convention's posts."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from cnum_shared.core.money import money_str
from cnum_shared.core.wire import (
    CONTRACT_END_REASONS,
    CONTRACT_TYPES,
    MEDIATOR_CASES,
    amount_between,
    legal_date,
    money_field,
)
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import (
    Blueprint,
    abort,
    current_principal,
    ensure_structure_visible,
    link,
    service_context,
)
from conventions.api.conventions import refuse as refuse_convention
from conventions.api.conventions import visible_convention
from conventions.domain.contracts import ContractRefused, EndReason
from conventions.domain.conventions import ConventionConflict, InvalidConvention
from conventions.service_layer import contracts as use_cases
from conventions.service_layer.conventions import ConventionNotFound
from conventions.service_layer.structures import StructureNotFound

blp = Blueprint("contracts", __name__, url_prefix="", description="Conseillers, candidats et contrats")


class AdvisorSchema(Schema):
    id = fields.UUID(dump_only=True)
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=150))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=150))
    birth_date = legal_date(required=True)
    email = fields.Email(required=True)
    is_retired = fields.Boolean(load_default=False)
    in_civic_service = fields.Boolean(load_default=False)
    is_france_services_agent = fields.Boolean(load_default=False)
    structure_id = fields.UUID(
        load_default=None,
        metadata={
            "description": "La structure qui peut recruter la personne : obligatoire pour un agent "
            "juridique ; pour une structure, la sienne (à omettre)."
        },
    )
    created_at = fields.AwareDateTime(dump_only=True)
    anonymised_on = fields.Date(
        dump_only=True,
        allow_none=True,
        metadata={"description": "jour de l'anonymisation (durée de conservation passée)"},
    )


class CandidateFieldsSchema(Schema):
    advisor_id = fields.UUID(required=True)
    presented_on = legal_date(required=True)


class CandidateSchema(CandidateFieldsSchema):
    id = fields.UUID(dump_only=True)
    convention_id = fields.UUID(dump_only=True)
    structure_id = fields.UUID(dump_only=True)
    selected_on = fields.Date(dump_only=True, allow_none=True)


class SelectionSchema(Schema):
    selected_on = legal_date(required=True)


class ContractFieldsSchema(Schema):
    advisor_id = fields.UUID(required=True)
    contract_type = fields.String(required=True, validate=validate.OneOf(CONTRACT_TYPES))
    start_date = legal_date(required=True)
    end_date = legal_date(load_default=None, allow_none=True)
    weekly_hours = fields.Decimal(
        required=True, as_string=True, places=2, validate=amount_between(Decimal(0), Decimal(48))
    )
    gross_monthly_salary = money_field(validate=amount_between(Decimal(0), Decimal(100_000)))
    existing_cdi_employee = fields.Boolean(load_default=False)
    already_digital_mediator = fields.Boolean(
        load_default=False,
        metadata={
            "description": "La personne est déjà médiatrice numérique en poste (AMI 2020, FAQ 14kt7ki)."
        },
    )
    mediator_case = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(MEDIATOR_CASES),
        metadata={
            "description": "Quand already_digital_mediator : part_time (elle exerçait à temps non complet), "
            "experimental_scheme (dans un dispositif expérimental) ou contract_ending (son contrat arrive "
            "à terme)."
        },
    )
    signed_on = legal_date(required=True)


class ContractSchema(ContractFieldsSchema):
    id = fields.UUID(dump_only=True)
    convention_id = fields.UUID(dump_only=True)
    structure_id = fields.UUID(dump_only=True)
    ended_on = fields.Date(dump_only=True, allow_none=True)
    end_reason = fields.String(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)


class ContractEndSchema(Schema):
    ended_on = legal_date(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(CONTRACT_END_REASONS))


class SalarySchema(Schema):
    gross_monthly_salary = money_field(validate=amount_between(Decimal(0), Decimal(100_000)))
    effective_on = legal_date(required=True)


class SalaryChangeSchema(SalarySchema):
    id = fields.UUID(dump_only=True)
    contract_id = fields.UUID(dump_only=True)
    recorded_by = fields.String(dump_only=True)


def _refuse(error: Exception) -> Any:
    if isinstance(error, ContractRefused):
        errors: dict[str, Any] = {
            "rules": [
                {"code": violation.code.value, "message": violation.message} for violation in error.violations
            ]
        }
        if error.smic is not None:
            errors["smic_monthly"] = money_str(error.smic.monthly)
            errors["smic_from"] = error.smic.effective_from.isoformat()
        return abort(422, str(error), errors=errors)
    if isinstance(error, use_cases.InvalidContract):
        return abort(422, "Contrat invalide.", errors={"json": error.problems})
    if isinstance(error, use_cases.AdvisorNotFound):
        return abort(422, "Conseiller inconnu.", errors={"json": {"advisor_id": ["Conseiller inconnu."]}})
    if isinstance(error, use_cases.CandidateNotFound):
        return abort(404, "Candidat introuvable.")
    if isinstance(error, use_cases.ContractNotFound):
        return abort(404, "Contrat introuvable.")
    return refuse_convention(error)


_REFUSED = (
    ContractRefused,
    use_cases.InvalidContract,
    use_cases.AdvisorNotFound,
    use_cases.CandidateNotFound,
    use_cases.ContractNotFound,
    ConventionConflict,
    InvalidConvention,
    ConventionNotFound,
)


def _visible_advisor(uow: Any, advisor_id: uuid.UUID) -> Any:
    try:
        advisor = use_cases.get_advisor(uow, advisor_id)
    except use_cases.AdvisorNotFound:
        return abort(404, "Conseiller introuvable.")
    principal = current_principal()
    if principal.is_structure() and str(advisor.structure_id) != str(principal.structure_id):
        abort(404, "Conseiller introuvable.")  # as for an id that does not exist
    return advisor


def _visible_contract(uow: Any, contract_id: uuid.UUID) -> Any:
    try:
        contract = use_cases.get_contract(uow, contract_id)
    except use_cases.ContractNotFound as error:
        return _refuse(error)
    ensure_structure_visible(contract.structure_id, "Contrat introuvable.")
    return contract


@blp.route("/advisors")
class Advisors(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, Role.ADMIN)
    @blp.arguments(AdvisorSchema)
    @blp.response(201, AdvisorSchema)
    @blp.links(
        201,
        GetAdvisor=link("/advisors/{advisor_id}", "get", advisor_id="$response.body#/id"),
    )
    def post(self, fields: dict[str, Any]) -> Any:
        """Register a person whom one structure may recruit (personal data: legal officers, admins and
        that structure only). A legal officer names the structure (`structure_id`); a structure user
        registers its own people."""
        principal = current_principal()
        structure_id = fields.pop("structure_id")
        if principal.is_structure():
            if structure_id is not None and str(structure_id) != str(principal.structure_id):
                return abort(
                    422,
                    "Conseiller invalide.",
                    errors={
                        "json": {"structure_id": ["Une structure n'inscrit que ses propres conseillers."]}
                    },
                )
            structure_id = principal.structure_id
        elif structure_id is None:
            return abort(
                422,
                "Conseiller invalide.",
                errors={
                    "json": {
                        "structure_id": ["Champ obligatoire : la structure qui peut recruter la personne."]
                    }
                },
            )
        with service_context().database.unit_of_work() as uow:
            try:
                return use_cases.create_advisor(uow, fields, structure_id)
            except StructureNotFound as error:
                return refuse_convention(error)


@blp.route("/advisors/<uuid:advisor_id>")
class AdvisorById(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, Role.ADMIN)
    @blp.response(200, AdvisorSchema)
    def get(self, advisor_id: uuid.UUID) -> Any:
        """One person; a structure sees only those it registered."""
        with service_context().database.unit_of_work(read_only=True) as uow:
            return _visible_advisor(uow, advisor_id)


def _on_convention(convention_id: uuid.UUID, action: Any, *arguments: Any, **options: Any) -> Any:
    with service_context().database.unit_of_work() as uow:
        visible_convention(uow, convention_id)
        try:
            return action(uow, convention_id, *arguments, **options)
        except _REFUSED as error:
            return _refuse(error)


def _advisor_options() -> dict[str, bool]:
    # A structure user gets the same answer for an unknown advisor id as for another structure's advisor.
    return {"unknown_advisor_as_foreign": current_principal().is_structure()}


@blp.route("/conventions/<uuid:convention_id>/candidates")
class Candidates(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, Role.ADMIN)
    @blp.arguments(CandidateFieldsSchema)
    @blp.response(201, CandidateSchema)
    @blp.links(
        201,
        SelectCandidate=link("/candidates/{candidate_id}/select", "post", candidate_id="$response.body#/id"),
    )
    def post(self, fields: dict[str, Any], convention_id: uuid.UUID) -> Any:
        """A candidate presented on the convention (starts the selection clock); `candidate.presented`."""
        return _on_convention(
            convention_id,
            use_cases.present_candidate,
            fields["advisor_id"],
            fields["presented_on"],
            **_advisor_options(),
        )


@blp.route("/candidates/<uuid:candidate_id>/select")
class SelectCandidate(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, Role.ADMIN)
    @blp.arguments(SelectionSchema)
    @blp.response(200, CandidateSchema)
    def post(self, body: dict[str, Any], candidate_id: uuid.UUID) -> Any:
        """The structure selects the candidate; emits `candidate.selected`."""
        with service_context().database.unit_of_work() as uow:
            try:
                candidate = use_cases.get_candidate(uow, candidate_id)
                ensure_structure_visible(candidate.structure_id, "Candidat introuvable.")
                return use_cases.select_candidate(uow, candidate_id, body["selected_on"])
            except _REFUSED as error:
                return _refuse(error)


@blp.route("/conventions/<uuid:convention_id>/contracts")
class Contracts(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, Role.ADMIN)
    @blp.arguments(ContractFieldsSchema)
    @blp.response(201, ContractSchema)
    @blp.links(
        201,
        GetContract=link("/contracts/{contract_id}", "get", contract_id="$response.body#/id"),
        EndContract=link("/contracts/{contract_id}/end", "post", contract_id="$response.body#/id"),
        RaiseSalary=link("/contracts/{contract_id}/salary", "post", contract_id="$response.body#/id"),
        ContractAvenant=link("/contracts/{contract_id}/amendment", "get", contract_id="$response.body#/id"),
    )
    @blp.alt_response(409, description="Tous les postes sont occupés")
    def post(self, fields: dict[str, Any], convention_id: uuid.UUID) -> Any:
        """Record a signed employment contract: the advisor is the structure's and eligible, a mediator
        already in post only in the programme's cases, a contract type open to the employer (a private
        CDD of 18 months at most), full time, and the SMIC, all on its start date."""
        return _on_convention(convention_id, use_cases.sign_contract, fields, **_advisor_options())

    @blp.roles(Role.LEGAL, Role.STRUCTURE, *READERS)
    @blp.response(200, ContractSchema(many=True))
    def get(self, convention_id: uuid.UUID) -> Any:
        """The contracts on a convention's posts."""
        return _on_convention(
            convention_id, lambda uow, convention: use_cases.list_contracts(uow, convention)
        )


@blp.route("/contracts/<uuid:contract_id>")
class ContractById(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, *READERS)
    @blp.response(200, ContractSchema)
    def get(self, contract_id: uuid.UUID) -> Any:
        with service_context().database.unit_of_work(read_only=True) as uow:
            return _visible_contract(uow, contract_id)


@blp.route("/contracts/<uuid:contract_id>/end")
class EndContract(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, Role.ADMIN)
    @blp.arguments(ContractEndSchema)
    @blp.response(200, ContractSchema)
    def post(self, body: dict[str, Any], contract_id: uuid.UUID) -> Any:
        """The contract ends (the post falls vacant); emits `contract.ended`."""
        with service_context().database.unit_of_work() as uow:
            _visible_contract(uow, contract_id)
            try:
                return use_cases.end_contract(uow, contract_id, body["ended_on"], EndReason(body["reason"]))
            except _REFUSED as error:
                return _refuse(error)


@blp.route("/contracts/<uuid:contract_id>/salary")
class ContractSalary(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, Role.ADMIN)
    @blp.arguments(SalarySchema)
    @blp.response(201, SalaryChangeSchema)
    def post(self, body: dict[str, Any], contract_id: uuid.UUID) -> Any:
        """A new salary from a date; emits `contract.salary_changed`."""
        with service_context().database.unit_of_work() as uow:
            _visible_contract(uow, contract_id)
            try:
                return use_cases.raise_salary(
                    uow,
                    contract_id,
                    body["gross_monthly_salary"],
                    body["effective_on"],
                    current_principal().sub,
                )
            except _REFUSED as error:
                return _refuse(error)

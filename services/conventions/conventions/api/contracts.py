"""`/api/v1/advisors`, candidates and `/api/v1/contracts`: recruiting on a convention's posts."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from cnum_shared.core.errors import Invalid
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
    current_principal,
    ensure_structure_visible,
    link,
)
from conventions.api.context import unit_of_work
from conventions.api.conventions import visible_convention
from conventions.domain.contracts import EndReason, PublicStatus
from conventions.service_layer import commands, queries
from conventions.service_layer import contracts as use_cases
from conventions.service_layer.unit_of_work import ConventionsUnitOfWork

PUBLIC_STATUSES = tuple(status.value for status in PublicStatus)

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


def _avenant_text(max_length: int, description: str) -> fields.String:
    """A fact the employment-contract avenant states (decision 0026): optional text, checked by the rules."""
    return fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=max_length),
        metadata={"description": description},
    )


class ContractFieldsSchema(Schema):
    advisor_id = fields.UUID(required=True)
    contract_type = fields.String(required=True, validate=validate.OneOf(CONTRACT_TYPES))
    start_date = legal_date(required=True)
    end_date = legal_date(load_default=None, allow_none=True)
    weekly_hours = fields.Decimal(
        required=True, as_string=True, places=2, validate=amount_between(Decimal(0), Decimal(48))
    )
    gross_monthly_salary = money_field(validate=amount_between(Decimal(0), Decimal(100_000)))
    existing_cdi_employee = fields.Boolean(
        load_default=False,
        metadata={
            "description": "La personne est déjà employée par la structure sur un emploi permanent (CDI, "
            "ou pour un employeur public CDI de droit public ou fonctionnaire titulaire) : elle rejoint le "
            "poste par un avenant à son contrat (GET /contracts/{id}/amendment), type « cdi » ou, pour "
            "un fonctionnaire, « titulaire » (décision 0026)."
        },
    )
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
    original_contract_start_date = legal_date(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Début du contrat d'origine (ou de l'emploi du fonctionnaire), avant start_date : "
            "obligatoire quand existing_cdi_employee, sans objet sinon."
        },
    )
    place_of_work = _avenant_text(300, "Lieu de travail (adresse) ; obligatoire quand existing_cdi_employee.")
    line_manager = _avenant_text(
        200,
        "Responsable hiérarchique : nom et fonction ; obligatoire quand existing_cdi_employee. Effacé "
        "avec les données personnelles du conseiller.",
    )
    classification = _avenant_text(
        200,
        "Classification : grade et échelon (employeur public), ou coefficient et niveau de la convention "
        "collective ; obligatoire quand existing_cdi_employee.",
    )
    collective_agreement = _avenant_text(
        300,
        "Convention collective applicable (nom et IDCC) : obligatoire pour un employeur privé quand "
        "existing_cdi_employee, refusée pour un employeur public.",
    )
    public_status = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(PUBLIC_STATUSES),
        metadata={
            "description": "Employeur public, personne déjà employée : contractuel (CDI de droit public, "
            "type « cdi ») ou titulaire (fonctionnaire, type « titulaire ») ; obligatoire dans ce cas, "
            "refusé pour un employeur privé."
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


def _visible_contract(uow: ConventionsUnitOfWork, contract_id: uuid.UUID) -> Any:
    contract = queries.contract(uow, contract_id)
    ensure_structure_visible(contract.structure_id, "Contrat introuvable.")
    return contract


def _viewer_structure() -> uuid.UUID | None:
    """The structure of a structure user, who sees only its own people (None: an officer sees all)."""
    principal = current_principal()
    return principal.structure_id if principal.is_structure() else None


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
                raise _invalid_advisor("Une structure n'inscrit que ses propres conseillers.")
            structure_id = principal.structure_id
        elif structure_id is None:
            raise _invalid_advisor("Champ obligatoire : la structure qui peut recruter la personne.")
        with unit_of_work() as uow:
            return use_cases.create_advisor(uow, commands.CreateAdvisor(structure_id=structure_id, **fields))


@blp.route("/advisors/<uuid:advisor_id>")
class AdvisorById(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, Role.ADMIN)
    @blp.response(200, AdvisorSchema)
    def get(self, advisor_id: uuid.UUID) -> Any:
        """One person; a structure sees only those it registered."""
        with unit_of_work(read_only=True) as uow:
            return queries.advisor(uow, advisor_id, viewer_structure_id=_viewer_structure())


def _invalid_advisor(message: str) -> Invalid:
    return Invalid("Conseiller invalide.", errors={"json": {"structure_id": [message]}})


def _unknown_advisor_as_foreign() -> bool:
    # A structure user gets the same answer for an unknown advisor id as for another structure's advisor.
    return current_principal().is_structure()


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
        with unit_of_work() as uow:
            visible_convention(uow, convention_id)
            return use_cases.present_candidate(
                uow,
                commands.PresentCandidate(
                    convention_id,
                    fields["advisor_id"],
                    fields["presented_on"],
                    unknown_advisor_as_foreign=_unknown_advisor_as_foreign(),
                ),
            )


@blp.route("/candidates/<uuid:candidate_id>/select")
class SelectCandidate(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, Role.ADMIN)
    @blp.arguments(SelectionSchema)
    @blp.response(200, CandidateSchema)
    def post(self, body: dict[str, Any], candidate_id: uuid.UUID) -> Any:
        """The structure selects the candidate; emits `candidate.selected`."""
        with unit_of_work() as uow:
            candidate = queries.candidate(uow, candidate_id)
            ensure_structure_visible(candidate.structure_id, "Candidat introuvable.")
            return use_cases.select_candidate(
                uow, commands.SelectCandidate(candidate_id, body["selected_on"])
            )


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
        with unit_of_work() as uow:
            visible_convention(uow, convention_id)
            return use_cases.sign_contract(
                uow,
                commands.SignContract(
                    convention_id=convention_id,
                    unknown_advisor_as_foreign=_unknown_advisor_as_foreign(),
                    **fields,
                ),
            )

    @blp.roles(Role.LEGAL, Role.STRUCTURE, *READERS)
    @blp.response(200, ContractSchema(many=True))
    def get(self, convention_id: uuid.UUID) -> Any:
        """The contracts on a convention's posts."""
        with unit_of_work(read_only=True) as uow:
            visible_convention(uow, convention_id)
            return queries.contracts(uow, convention_id)


@blp.route("/contracts/<uuid:contract_id>")
class ContractById(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, *READERS)
    @blp.response(200, ContractSchema)
    def get(self, contract_id: uuid.UUID) -> Any:
        with unit_of_work(read_only=True) as uow:
            return _visible_contract(uow, contract_id)


@blp.route("/contracts/<uuid:contract_id>/end")
class EndContract(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, Role.ADMIN)
    @blp.arguments(ContractEndSchema)
    @blp.response(200, ContractSchema)
    def post(self, body: dict[str, Any], contract_id: uuid.UUID) -> Any:
        """The contract ends (the post falls vacant); emits `contract.ended`."""
        with unit_of_work() as uow:
            _visible_contract(uow, contract_id)
            return use_cases.end_contract(
                uow, commands.EndContract(contract_id, body["ended_on"], EndReason(body["reason"]))
            )


@blp.route("/contracts/<uuid:contract_id>/salary")
class ContractSalary(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, Role.ADMIN)
    @blp.arguments(SalarySchema)
    @blp.response(201, SalaryChangeSchema)
    def post(self, body: dict[str, Any], contract_id: uuid.UUID) -> Any:
        """A new salary from a date; emits `contract.salary_changed`."""
        with unit_of_work() as uow:
            _visible_contract(uow, contract_id)
            return use_cases.raise_salary(
                uow,
                commands.RaiseSalary(
                    contract_id, body["gross_monthly_salary"], body["effective_on"], current_principal().sub
                ),
            )

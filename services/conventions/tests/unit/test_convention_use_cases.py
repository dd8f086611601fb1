"""The use cases of structures and conventions on the fake unit of work: no database, no HTTP.

The expected amounts are worked out here from the parameters' rule (DESIGN §3: the amount per post of
the structure's kind and territory, split by the tranche shares, each rounded to the cent, the last
taking the remainder; tranche 1 due on signature, the others by their offset from the start), reading
the raw values of shared/parameters, never through the code's helpers.
"""

import uuid
from datetime import date
from decimal import Decimal

import pytest

from cnum_shared.core.errors import Conflict, Invalid, NotFound
from cnum_shared.core.legal import Wave
from conventions.demo import DEMO_STRUCTURES
from conventions.domain.conventions import (
    ConventionAction,
    ConventionStatus,
    InvalidConvention,
    SigningFrozen,
)
from conventions.domain.structures import InvalidStructure
from conventions.service_layer import commands
from conventions.service_layer.conventions import (
    AmendmentNotFound,
    UnknownStructure,
    create_convention,
    draft_amendment,
    end_convention,
    sign_amendment,
    sign_convention,
)
from conventions.service_layer.structures import DuplicateSiret, create_structure, update_structure
from services.conventions.tests.unit.fakes import FakeUnitOfWork

SAINT_FLOUR = DEMO_STRUCTURES[0]  # public, Cantal (15), in a QPV/ZRR
REGISTERED_ON = date(2021, 2, 1)
START = date(2021, 3, 1)


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"))


def initial_plan(
    uow: FakeUnitOfWork, per_post_name: str, posts: int, funded: int
) -> list[tuple[int, Decimal]]:
    """(offset in months, amount) of each tranche, from the raw parameters."""
    tree = uow.parameters
    per_post = tree.get(f"subsidy.initial.amount_per_post.{per_post_name}").at(START).as_decimal()
    shares = tree.get("subsidy.initial.tranches.shares").at(START).as_decimals()
    offsets = (
        tree.get(f"subsidy.initial.tranches.offsets_months.funded_{funded}_months").at(START).as_decimals()
    )
    parts = [cents(per_post * share) for share in shares]
    parts[-1] = per_post - sum(parts[:-1], Decimal(0))
    return [(int(offset), part * posts) for offset, part in zip(offsets, parts, strict=True)]


@pytest.fixture
def uow():
    return FakeUnitOfWork()


def register(uow, fields=SAINT_FLOUR, on=REGISTERED_ON):
    return create_structure(uow, commands.CreateStructure(**fields, on=on))


def draft(uow, structure, *, wave=Wave.INITIAL, posts=2, start=START, months=24):
    return create_convention(uow, commands.CreateConvention(structure.id, wave, posts, start, months))


def signed(uow, structure, signed_on=date(2021, 3, 10), **terms):
    convention = draft(uow, structure, **terms)
    return sign_convention(uow, commands.SignConvention(convention.id, signed_on, actor="legal-1"))


# --- Structures ------------------------------------------------------------------------------------------


def test_a_structure_is_registered_and_announced(uow):
    structure = register(uow)

    assert uow.structures.get(structure.id) is structure
    assert structure.iban == SAINT_FLOUR["iban"]
    assert [kind for kind, _ in uow.outbox.events] == ["structure.updated"]
    assert uow.outbox.events[0][1]["structure_id"] == structure.id
    assert uow.commits == 1


def test_a_second_structure_with_the_same_siret_is_refused(uow):
    register(uow)

    with pytest.raises(DuplicateSiret) as refused:
        register(uow, {**SAINT_FLOUR, "name": "Autre"})

    assert isinstance(refused.value, Conflict)
    assert refused.value.message == f"Une structure avec le SIRET {SAINT_FLOUR['siret']} existe déjà."
    assert uow.commits == 1


def test_a_state_service_is_refused_by_its_named_rule(uow):
    with pytest.raises(InvalidStructure) as refused:
        register(uow, {**SAINT_FLOUR, "structure_type": "service_deconcentre_etat"})

    assert refused.value.status == 422
    assert [rule["code"] for rule in refused.value.errors["rules"]] == ["state_service_not_eligible"]
    assert refused.value.message == refused.value.errors["rules"][0]["message"]
    assert uow.structures.all() == []
    assert uow.outbox.events == []


def test_a_type_of_the_other_kind_is_refused(uow):
    with pytest.raises(InvalidStructure) as refused:
        register(uow, {**SAINT_FLOUR, "structure_type": "association"})  # a commune's kind is public

    assert refused.value.message == "Structure invalide."
    assert refused.value.errors == {
        "json": {"structure_type": ["Le type « association » est celui d'une structure privée."]}
    }


def test_changing_a_structure_to_a_taken_siret_is_refused(uow):
    register(uow)
    other = register(uow, DEMO_STRUCTURES[2])

    with pytest.raises(DuplicateSiret):
        update_structure(
            uow,
            commands.UpdateStructure(
                other.id, REGISTERED_ON, siret=SAINT_FLOUR["siret"], department="15", postcode="15100"
            ),
        )


# --- Creating a convention -------------------------------------------------------------------------------


def test_a_draft_convention_takes_its_amounts_from_the_parameters(uow):
    structure = register(uow)

    convention = draft(uow, structure, posts=2, months=24)

    plan = initial_plan(uow, "public.standard", posts=2, funded=24)
    assert convention.status is ConventionStatus.DRAFT
    assert [(row.number, row.due_on, row.amount) for row in convention.tranches] == [
        (1, None, plan[0][1]),
        (2, date(2022, 3, 1), plan[1][1]),
        (3, date(2023, 3, 1), plan[2][1]),
    ]
    assert convention.total_amount == sum((amount for _, amount in plan), Decimal(0))
    assert convention.end_date == date(2023, 2, 28)
    [created] = uow.history.of(convention.id)
    assert (created.from_status, created.to_status, created.event) == (None, "draft", "create")


def test_a_convention_of_an_unknown_structure_is_refused(uow):
    with pytest.raises(UnknownStructure) as refused:
        create_convention(uow, commands.CreateConvention(uuid.uuid4(), Wave.INITIAL, 1, START, 24))

    assert refused.value.message == "Structure inconnue."
    assert refused.value.errors == {"json": {"structure_id": ["Structure inconnue."]}}


def test_a_convention_longer_than_36_months_is_refused(uow):
    structure = register(uow)

    with pytest.raises(InvalidConvention) as refused:
        draft(uow, structure, months=40)

    assert refused.value.message == "Convention invalide."
    assert refused.value.errors == {"json": {"duration_months": ["Une convention dure au plus 36 mois."]}}
    assert uow.conventions.all() == []


def test_a_convention_outside_its_wave_is_refused(uow):
    structure = register(uow)

    with pytest.raises(InvalidConvention) as refused:
        draft(uow, structure, start=date(2023, 1, 1))

    assert list(refused.value.problems) == ["start_date"]
    assert "31 décembre 2022" in refused.value.problems["start_date"][0]


def test_a_renewal_without_an_earlier_signed_convention_is_refused(uow):
    structure = register(uow)
    draft(uow, structure)  # a draft is not a predecessor

    with pytest.raises(InvalidConvention) as refused:
        draft(uow, structure, wave=Wave.RENEWAL, start=date(2023, 6, 1), months=36)

    assert refused.value.problems == {
        "wave": [
            "Un renouvellement suppose une convention antérieure signée avec la même structure : "
            "« Commune de Saint-Flour » n'en a aucune qui commence avant le 1er juin 2023."
        ]
    }


# --- Signing ---------------------------------------------------------------------------------------------


def test_signing_emits_the_tranche_plan_with_tranche_one_due_on_signature(uow):
    structure = register(uow)

    convention = signed(uow, structure, signed_on=date(2021, 3, 10), posts=3)

    plan = initial_plan(uow, "public.standard", posts=3, funded=24)
    assert convention.status is ConventionStatus.SIGNED
    [event] = uow.outbox.of_type("convention.signed")
    assert event["tranches"] == [
        {"number": 1, "due_on": date(2021, 3, 10), "amount": plan[0][1]},
        {"number": 2, "due_on": date(2022, 3, 1), "amount": plan[1][1]},
        {"number": 3, "due_on": date(2023, 3, 1), "amount": plan[2][1]},
    ]
    assert event["total_amount"] == sum((amount for _, amount in plan), Decimal(0))
    assert event["structure"]["name"] == SAINT_FLOUR["name"]
    signature = uow.history.of(convention.id)[-1]
    assert (signature.from_status, signature.to_status, signature.actor) == ("draft", "signed", "legal-1")


def test_a_signed_convention_cannot_be_signed_again(uow):
    convention = signed(uow, register(uow))
    events = len(uow.outbox.events)

    with pytest.raises(Conflict) as refused:
        sign_convention(uow, commands.SignConvention(convention.id, date(2021, 4, 1)))

    assert refused.value.status == 409
    assert refused.value.message == "Impossible de signer une convention signée."
    assert refused.value.errors is None
    assert len(uow.outbox.events) == events


def test_no_convention_is_signed_during_the_funding_freeze(uow):
    convention = draft(uow, register(uow))
    freeze = next(
        value.effective_from
        for value in uow.parameters.get("waves.funding_freeze").history()
        if value.as_bool()
    )

    with pytest.raises(SigningFrozen) as refused:
        sign_convention(uow, commands.SignConvention(convention.id, freeze))

    assert refused.value.errors["funding_freeze_from"] == freeze.isoformat()
    assert refused.value.errors["rules"][0]["code"] == "funding_freeze"
    assert convention.status is ConventionStatus.DRAFT
    assert uow.outbox.of_type("convention.signed") == []


# --- Closing and terminating: the state machine ----------------------------------------------------------


def test_a_draft_can_be_neither_closed_nor_terminated(uow):
    convention = draft(uow, register(uow))

    for action, words in ((ConventionAction.CLOSE, "clôturer"), (ConventionAction.TERMINATE, "résilier")):
        with pytest.raises(Conflict) as refused:
            end_convention(uow, commands.EndConvention(convention.id, action, date(2022, 1, 1), "fin"))
        assert refused.value.message == f"Impossible de {words} une convention en projet."


def test_terminating_a_signed_convention_logs_the_reason_and_tells_payments(uow):
    convention = signed(uow, register(uow))

    end_convention(
        uow,
        commands.EndConvention(
            convention.id, ConventionAction.TERMINATE, date(2022, 1, 31), "Départ", actor="legal-2"
        ),
    )

    assert convention.status is ConventionStatus.TERMINATED
    assert (convention.ended_on, convention.end_reason) == (date(2022, 1, 31), "Départ")
    [event] = uow.outbox.of_type("convention.terminated")
    assert (event["on"], event["reason"]) == (date(2022, 1, 31), "Départ")
    last = uow.history.of(convention.id)[-1]
    assert (last.from_status, last.to_status, last.reason, last.actor) == (
        "signed",
        "terminated",
        "Départ",
        "legal-2",
    )


def test_a_closed_convention_cannot_be_terminated(uow):
    convention = signed(uow, register(uow))
    end_convention(
        uow, commands.EndConvention(convention.id, ConventionAction.CLOSE, date(2023, 2, 28), "Terme")
    )

    with pytest.raises(Conflict) as refused:
        end_convention(
            uow, commands.EndConvention(convention.id, ConventionAction.TERMINATE, date(2023, 3, 1), "x")
        )

    assert refused.value.message == "Impossible de résilier une convention clôturée."
    assert convention.status is ConventionStatus.CLOSED


def test_a_convention_cannot_end_before_its_signature(uow):
    convention = signed(uow, register(uow), signed_on=date(2021, 3, 10))

    with pytest.raises(Conflict) as refused:
        end_convention(
            uow, commands.EndConvention(convention.id, ConventionAction.CLOSE, date(2021, 3, 9), "x")
        )

    assert refused.value.message == "La date de fin ne peut pas précéder la signature de la convention."
    assert convention.status is ConventionStatus.SIGNED


# --- Avenants ----------------------------------------------------------------------------------------------


def test_an_avenant_adds_posts_from_its_effective_date(uow):
    convention = signed(uow, register(uow), posts=2, months=24)
    per_post = uow.parameters.get("subsidy.initial.amount_per_post.public.standard").at(START).as_decimal()

    amendment = draft_amendment(
        uow,
        commands.DraftAmendment(convention.id, 3, date(2022, 3, 1), "Un poste de plus", created_by="legal-1"),
    )
    sign_amendment(
        uow, commands.SignAmendment(convention.id, amendment.id, date(2022, 2, 15), actor="legal-1")
    )

    # One funded period of 24 months; the avenant takes effect at month 13: 12 months of one more post.
    added = cents(per_post * 12 / 24)
    assert amendment.total_amount == 2 * per_post + added
    assert (convention.posts, convention.total_amount) == (3, 2 * per_post + added)
    assert convention.status is ConventionStatus.AMENDED
    assert sum((row.amount for row in convention.tranches), Decimal(0)) == convention.total_amount
    [event] = uow.outbox.of_type("convention.amended")
    assert (event["posts_before"], event["posts"], event["total_amount"]) == (2, 3, convention.total_amount)
    assert [t.to_status for t in uow.history.of(amendment.id)] == ["draft", "signed"]


def test_an_avenant_is_signed_once(uow):
    convention = signed(uow, register(uow))
    amendment = draft_amendment(
        uow,
        commands.DraftAmendment(
            convention.id, 1, date(2022, 3, 1), "Un poste de moins", created_by="legal-1"
        ),
    )
    sign_amendment(uow, commands.SignAmendment(convention.id, amendment.id, date(2022, 2, 15)))

    with pytest.raises(Conflict) as refused:
        sign_amendment(uow, commands.SignAmendment(convention.id, amendment.id, date(2022, 2, 16)))

    assert refused.value.message == "L'avenant n° 1 est déjà signé."


def test_a_draft_convention_takes_no_avenant(uow):
    convention = draft(uow, register(uow))

    with pytest.raises(Conflict) as refused:
        draft_amendment(
            uow, commands.DraftAmendment(convention.id, 3, date(2022, 3, 1), "x", created_by="legal-1")
        )

    assert refused.value.message == "Impossible de modifier par avenant une convention en projet."


def test_an_avenant_of_another_convention_is_not_found(uow):
    structure = register(uow)
    first, second = signed(uow, structure), signed(uow, structure)
    amendment = draft_amendment(
        uow, commands.DraftAmendment(first.id, 3, date(2022, 3, 1), "x", created_by="legal-1")
    )

    with pytest.raises(AmendmentNotFound) as refused:
        sign_amendment(uow, commands.SignAmendment(second.id, amendment.id, date(2022, 3, 1)))

    assert isinstance(refused.value, NotFound)
    assert refused.value.message == "Avenant introuvable."


def test_an_avenant_keeping_the_posts_is_refused(uow):
    convention = signed(uow, register(uow), posts=2)

    with pytest.raises(Invalid) as refused:
        draft_amendment(
            uow, commands.DraftAmendment(convention.id, 2, date(2022, 3, 1), "x", created_by="legal-1")
        )

    assert refused.value.errors == {"json": {"posts": ["La convention compte déjà 2 poste(s)."]}}

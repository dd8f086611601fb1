"""What a document states is what the engine uses, on both sides of every date of the law (issue 17).

For each date on which the text of the documents or a figure it cites changes, a document whose legal date
is the day before and one whose legal date is that day are rendered to PDF by the conventions service (the
session's converter), and each figure the PDF states is checked against what the engine does with it:
the delays against the due dates compliance gives for the matching obligation, article 6's funded periods
and monthly rates against the recovery payments computes when a post ends early, the tranche table against
the conventions API and the payments schedule. The three services run in this process; every event goes
from its producer's outbox to its consumers as the relays post it. Each expected figure is also worked out
here from the parameter files' values (the arithmetic is in the comments), never with the code's helpers.

Dates of the law the texts cite (shared/parameters): 2020-11-01 the first edition (its day only);
2022-01-01 the contrat d'engagement républicain (convention.yaml); 2023-01-01 the renewal edition;
2024-07-01 the bonus zones, ZRR then FRR (subsidy/bonus_zones.yaml); 2024-10-01 the 2024 edition and the
training paths (obligations.yaml); 2025-05-14 the refill edition and post_refill's 3 then 6 months (and
the funding freeze); 2025-07-13 the « médiateur numérique » title. The SMIC is named, never quoted as a
figure; the continuing-training delays (2024-01-01, 2025-01-01) are not cited by any text.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from cnum_shared.core.wire import consumers_of
from cnum_shared.testing import TestDatabases, bearer, outbox_envelopes, post_event, service_app
from compliance import create_app as create_compliance
from compliance.adapters.orm import event_tables as compliance_events
from compliance.manage import MIGRATIONS_DIR as COMPLIANCE_MIGRATIONS
from conventions import create_app as create_conventions
from conventions.adapters.orm import event_tables as conventions_events
from conventions.demo import DEMO_STRUCTURES
from conventions.manage import MIGRATIONS_DIR as CONVENTIONS_MIGRATIONS
from payments import create_app as create_payments
from payments.adapters.orm import event_tables as payments_events
from payments.manage import MIGRATIONS_DIR as PAYMENTS_MIGRATIONS

pytestmark = pytest.mark.slow

STRUCTURES = {fields["department"]: fields for fields in DEMO_STRUCTURES}
PRODUCERS = {"conventions": conventions_events, "payments": payments_events, "compliance": compliance_events}


class Programme:
    """The three services in one process, each outbox delivered to its consumers as the relays do."""

    def __init__(self, apps: dict[str, Any]) -> None:
        self.apps = apps
        self._delivered: set[tuple[str, str]] = set()

    def call(self, service: str, method: str, path: str, expected: int, role: str = "legal", **options: Any):
        response = (
            self.apps[service]
            .test_client()
            .open(f"/api/v1{path}", method=method, headers=bearer(role, sub=f"{role}-bounds"), **options)
        )
        assert response.status_code == expected, (method, path, response.get_json())
        return response

    def legal(self, method: str, path: str, expected: int = 200, json: Any = None) -> Any:
        return self.call("conventions", method, path, expected, json=json).get_json()

    def relay(self) -> None:
        # Bounded: each round delivers what the previous one produced; three rounds settle every chain.
        for _ in range(3):
            for producer, tables in PRODUCERS.items():
                for envelope in outbox_envelopes(self.apps[producer], tables):
                    for consumer in consumers_of(envelope["type"]):
                        if (envelope["id"], consumer) in self._delivered:
                            continue
                        response = post_event(self.apps[consumer].test_client(), envelope)
                        assert response.status_code == 200, (envelope["type"], consumer, response.get_json())
                        self._delivered.add((envelope["id"], consumer))


@pytest.fixture
def programme(
    db_backend: str, test_databases: TestDatabases, tmp_path: Path, converter_url: str
) -> Iterator[Programme]:
    with ExitStack() as stack:
        apps = {}
        for name, create_app, migrations, settings in (
            ("conventions", create_conventions, CONVENTIONS_MIGRATIONS, {"converter_url": converter_url}),
            ("payments", create_payments, PAYMENTS_MIGRATIONS, {}),
            ("compliance", create_compliance, COMPLIANCE_MIGRATIONS, {}),
        ):
            url = test_databases.fresh(name, db_backend, migrations)
            apps[name] = stack.enter_context(service_app(create_app, url, tmp_path / name, **settings))
        yield Programme(apps)


# --- What the law says on each side (the parameter files' values, by hand) ------------------------------

FREEZE = date(2025, 5, 14)  # waves.funding_freeze: no new convention is signed from that day
REFILL_SIX_MONTHS = date(2025, 5, 14)  # obligations.post_refill.delay_months: 3, then 6
PATHS_FROM = date(2024, 10, 1)  # obligations.training_entry.paths_hours: 70, 175 or 315 hours
FRR_FROM = date(2024, 7, 1)  # subsidy/bonus_zones.yaml: ZRR until 30 June 2024, FRR from 1 July
REPUBLICAN_FROM = date(2022, 1, 1)  # convention.republican_commitment
TITLE_FROM = date(2025, 7, 13)  # documents.template_edition: title_2025

BOUNDARIES = (
    date(2020, 11, 1),
    REPUBLICAN_FROM,
    date(2023, 1, 1),
    FRR_FROM,
    PATHS_FROM,
    FREEZE,
    TITLE_FROM,
)
CASES = [(date(2020, 11, 1), "on")] + [(day, side) for day in BOUNDARIES[1:] for side in ("before", "on")]

#: The delays as the texts write them in words (Delay of adapters/document_context.py).
NUMBERS = {"un": 1, "trois": 3, "six": 6, "douze": 12, "quinze": 15, "trente": 30}


def stated(pattern: str, text: str) -> tuple[int, str]:
    """The delay a sentence states, as (number, unit): "au plus tard six mois après" → (6, "mois")."""
    match = re.search(pattern, text)
    assert match, pattern
    number, unit = match[1].split(" ")
    return NUMBERS[number], unit


def plus(start: date, number: int, unit: str) -> date:
    """`start` + that delay, a month as the same day of the month (the last day when there is none)."""
    if unit == "jours":
        return start + timedelta(days=number)
    month = start.month - 1 + number
    year, month = start.year + month // 12, month % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError(start)


def euros(amount: str) -> Decimal:
    """'87 750,00' as pypdf reads a French amount."""
    return Decimal(amount.replace(" ", "").replace(",", "."))


_AMOUNT = r"((?:\d{1,3} )*\d{1,3},\d{2})"
_DAY = r"(\d{1,2}(?:er)? [a-zéû]+ \d{4})"
# A row of article 6's table: "du 1er octobre 2024 au 30 septembre 2025 12 20 000,00 € 1 666,67 €".
_PERIOD = re.compile(rf"du {_DAY} au {_DAY} (\d+) {_AMOUNT} € {_AMOUNT} €")
# A row of a tranche table, on its own line: "2 1er octobre 2025 35 000,00 €" (and, in an avenant, what
# was paid and what is to recover of it).
_TRANCHE = re.compile(rf"^([1-9]) {_DAY} {_AMOUNT} €(?: .*)?$")


def pdf_lines(content: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return [
        re.sub(r"[ \t]+", " ", line.replace("\xa0", " ").replace("\u202f", " ")).strip()
        for line in text.splitlines()
    ]


def _round(value: Decimal) -> Decimal:
    """To the nearest cent, half up (article 6: "arrondi une seule fois, au centime le plus proche")."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- One side of one date ----------------------------------------------------------------------------


class Side:
    """What is made for one legal date `day`: the document of the convention (or, from the freeze on, of
    an avenant that gives a post back), a contract avenant, and the obligations and recovery they give."""

    def __init__(self, programme: Programme, day: date) -> None:
        self.p, self.day = programme, day
        self.structure = programme.legal(
            "POST",
            "/structures",
            201,
            STRUCTURES["94" if day in (REPUBLICAN_FROM - timedelta(days=1), REPUBLICAN_FROM) else "15"],
        )
        self.public = self.structure["kind"] == "public"

    def convention(self, start: date, posts: int = 2) -> dict[str, Any]:
        wave = "initial" if start <= date(2022, 12, 31) else "renewal"  # waves.yaml
        if wave == "renewal":
            # A renewal continues an earlier convention of the structure (DESIGN §3).
            earlier = self.p.legal(
                "POST",
                "/conventions",
                201,
                {
                    "structure_id": self.structure["id"],
                    "wave": "initial",
                    "posts": 1,
                    "start_date": "2021-03-01",
                    "duration_months": 24,
                },
            )
            self.p.legal("POST", f"/conventions/{earlier['id']}/sign", 200, {"signed_on": "2021-03-15"})
        months = 36 if wave == "renewal" else (24 if self.public else 18)
        created = self.p.legal(
            "POST",
            "/conventions",
            201,
            {
                "structure_id": self.structure["id"],
                "wave": wave,
                "posts": posts,
                "start_date": start.isoformat(),
                "duration_months": months,
            },
        )
        return self.p.legal(
            "POST", f"/conventions/{created['id']}/sign", 200, {"signed_on": start.isoformat()}
        )

    def advisor(self, name: str) -> dict[str, Any]:
        return self.p.legal(
            "POST",
            "/advisors",
            201,
            {
                "first_name": "Léa",
                "last_name": name,
                "birth_date": "1990-05-04",
                "email": f"{name.lower()}.{uuid.uuid4().hex[:6]}@example.org",
                "structure_id": self.structure["id"],
            },
        )

    def cdd(self, convention: dict[str, Any], start: date, *, presented: bool) -> dict[str, Any]:
        advisor = self.advisor("Remplacée")
        if presented:
            candidate = self.p.legal(
                "POST",
                f"/conventions/{convention['id']}/candidates",
                201,
                {"advisor_id": advisor["id"], "presented_on": start.isoformat()},
            )
            self.p.legal(
                "POST", f"/candidates/{candidate['id']}/select", 200, {"selected_on": start.isoformat()}
            )
        return self.p.legal(
            "POST",
            f"/conventions/{convention['id']}/contracts",
            201,
            {
                "advisor_id": advisor["id"],
                "contract_type": "cdd",
                "start_date": start.isoformat(),
                "end_date": (plus(start, 12, "mois") - timedelta(days=1)).isoformat(),
                "weekly_hours": "35.00",
                "gross_monthly_salary": "1900.00",
                "signed_on": start.isoformat(),
            },
        )

    def moved_cdi(self, convention: dict[str, Any], start: date) -> dict[str, Any]:
        """An employee in CDI moved to the post from `start`, by an avenant signed on `day`: its legal date
        is its signature."""
        advisor = self.advisor("Déplacée")
        public = {"public_status": "contractuel"} if self.public else {"collective_agreement": "ALISFA"}
        return self.p.legal(
            "POST",
            f"/conventions/{convention['id']}/contracts",
            201,
            {
                "advisor_id": advisor["id"],
                "contract_type": "cdi",
                "existing_cdi_employee": True,
                "original_contract_start_date": "2019-09-02",
                "place_of_work": "Médiathèque, 15100 Saint-Flour",
                "line_manager": "La directrice de la médiathèque",
                "classification": "adjoint d'animation",
                "start_date": start.isoformat(),
                "weekly_hours": "35.00",
                "gross_monthly_salary": "1900.00",
                "signed_on": self.day.isoformat(),
                **public,
            },
        )

    def obligations(self, convention_id: str) -> list[dict[str, Any]]:
        followed = self.p.call(
            "compliance",
            "GET",
            f"/obligations?structure_id={self.structure['id']}&page_size=100",
            200,
            role="compliance",
        ).get_json()
        return [o for o in followed if o["convention_id"] == convention_id]

    def due(self, convention_id: str, kind: str, contract_id: str | None = None) -> list[date]:
        return sorted(
            date.fromisoformat(o["due_on"])
            for o in self.obligations(convention_id)
            if o["kind"] == kind and (contract_id is None or o["contract_id"] == contract_id)
        )

    def pdf(self, path: str) -> bytes:
        return self.p.call("conventions", "GET", f"{path}?format=pdf", 200).data


# --- The test ----------------------------------------------------------------------------------------


def expected_tranches(side: Side) -> dict[int, Decimal]:
    """The schedule the document states, worked out from DESIGN §3 and the subsidy files."""
    day = side.day
    if day < date(2023, 1, 1):
        # Initial wave, 2 posts, tranches of 40 % / 40 % / 20 % (subsidy/initial.yaml): a public structure
        # of Cantal 50 000 a post, 100 000: 40 000, 40 000, 20 000; a private one 32 000 a post, 64 000:
        # 25 600, 25 600, 12 800.
        per_post = Decimal(50000) if side.public else Decimal(32000)
        total = 2 * per_post
        return {1: total * Decimal("0.40"), 2: total * Decimal("0.40"), 3: total * Decimal("0.20")}
    # Renewal, public, QPV/ZRR (Saint-Flour): 20 000, 17 500, 12 500 a post, a tranche a year; 2 posts.
    yearly = {1: Decimal(40000), 2: Decimal(35000), 3: Decimal(25000)}
    if day < FREEZE:
        return yearly
    # From the freeze, the avenant gives one of the 2 posts back from `day` (a convention of 1 January 2025):
    # its month keeps 2 posts, the months after it count 1. In year 1, 12 − month of `day` months are left:
    # 20 000 × left ÷ 12, rounded; years 2 and 3 whole: 17 500 + 12 500. The decrease goes to the tranches
    # due from `day` (2 and 3: 35 000 + 25 000 = 60 000) in proportion, the last one taking the rounding.
    # 14 May 2025: 7 months left, 11 666,67 + 30 000 = 41 666,67; tranche 2 −41 666,67 × 35 000 ÷ 60 000 =
    # −24 305,56 → 10 694,44; tranche 3 −17 361,11 → 7 638,89.
    # 12 or 13 July 2025: 5 months left, 8 333,33 + 30 000 = 38 333,33; tranche 2 −22 361,11 → 12 638,89;
    # tranche 3 −15 972,22 → 9 027,78.
    left = 12 - day.month
    decrease = _round(Decimal(20000) * left / 12) + Decimal(30000)
    second = _round(decrease * Decimal(35000) / Decimal(60000))
    return {1: Decimal(40000), 2: Decimal(35000) - second, 3: Decimal(25000) - (decrease - second)}


def expected_periods(side: Side) -> list[tuple[int, Decimal, Decimal]]:
    """Article 6's table as (months, amount a post, monthly rate): the amount ÷ the months, to the cent."""
    if side.day < date(2023, 1, 1):
        # Initial wave: one period, the whole convention: 50 000 ÷ 24 = 2 083,33 (public), 32 000 ÷ 18 =
        # 1 777,78 (private).
        months, amount = (24, Decimal(50000)) if side.public else (18, Decimal(32000))
        return [(months, amount, _round(amount / months))]
    # Renewal: a period a convention year, 20 000 ÷ 12 = 1 666,67; 17 500 ÷ 12 = 1 458,33; 12 500 ÷ 12 =
    # 1 041,67.
    return [(12, Decimal(a), _round(Decimal(a) / 12)) for a in (20000, 17500, 12500)]


@pytest.mark.parametrize(("boundary", "side"), CASES, ids=[f"{d.isoformat()}-{s}" for d, s in CASES])
def test_each_figure_the_document_states_is_the_one_the_engine_uses(programme, boundary, side):
    p = programme
    day = boundary - timedelta(days=1) if side == "before" else boundary
    made = Side(p, day)

    if day < FREEZE:
        # The convention signed (and started) on `day`: its legal date is `day`. A candidate is presented
        # and selected that day and hired on a CDD that ends the same day: the post is vacant from then.
        convention = made.convention(day)
        ended = made.cdd(convention, day, presented=True)
        p.legal(
            "POST",
            f"/contracts/{ended['id']}/end",
            200,
            {"ended_on": day.isoformat(), "reason": "resignation"},
        )
        moved = made.moved_cdi(convention, day)
        document = f"/conventions/{convention['id']}/document"
        stated_schedule = convention["tranches"]
        worked_from = day
    else:
        # No convention is signed from the freeze on: a convention of 1 January 2025 whose adviser left
        # on `day`, and the avenant signed that day that gives the post back; its legal date is `day`.
        convention = made.convention(date(2025, 1, 1))
        ended = made.cdd(convention, date(2025, 1, 1), presented=False)
        p.legal(
            "POST",
            f"/contracts/{ended['id']}/end",
            200,
            {"ended_on": day.isoformat(), "reason": "resignation"},
        )
        p.relay()
        path = f"/conventions/{convention['id']}/amendments"
        draft = p.legal(
            "POST",
            path,
            201,
            {
                "posts": 1,
                "effective_date": day.isoformat(),
                "reason": "Poste non pourvu",
                "requested_on": day.isoformat(),
                "contract_ended_on": day.isoformat(),
            },
        )
        amendment = p.legal("POST", f"{path}/{draft['id']}/sign", 200, {"signed_on": day.isoformat()})
        # The post left is taken from the next day (the ended contract holds it on `day`).
        moved = made.moved_cdi(convention, day + timedelta(days=1))
        document = f"{path}/{amendment['id']}/document"
        stated_schedule = amendment["tranches"]
        worked_from = date(2025, 1, 1)
    p.relay()
    # The moved employee enters and ends the initial training on the first day of the contract
    # (compliance, as its officer records it).
    trained = date.fromisoformat(moved["start_date"])
    for kind in ("training_entry", "training_end"):
        p.call(
            "compliance",
            "POST",
            "/training-records",
            201,
            role="compliance",
            json={"contract_id": moved["id"], "kind": kind, "date": trained.isoformat()},
        )
    p.relay()

    lines = pdf_lines(made.pdf(document))
    text = " ".join(lines)
    avenant = pdf_lines(made.pdf(f"/contracts/{moved['id']}/amendment"))
    avenant_text = " ".join(avenant)

    # --- Compliance deadlines: the delay stated, from the event's date, is the obligation's due date. ----
    cid = convention["id"]
    refill = stated(r"(?:au plus tard|pourvu) (\w+ \w+) après cette fin de contrat", text)
    # obligations.post_refill.delay_months: 3 months, 6 from 14 May 2025 (read on the end of the contract).
    assert refill == ((6, "mois") if day >= REFILL_SIX_MONTHS else (3, "mois"))
    assert made.due(cid, "post_refill", ended["id"]) == [plus(day, *refill)]
    if day < FREEZE:
        # Presentation 3 months from the signature, selection 1 month from the presentation, contract
        # 15 days from the selection, training 15 days from the contract, final report 3 months after the
        # convention's end (obligations.yaml).
        presentation = stated(r"présenté sur chaque poste au plus tard (\w+ \w+) après", text)
        selection = stated(r"sélectionner un candidat au plus tard (\w+ \w+) après", text)
        signature = stated(r"signer ce contrat au plus tard (\w+ \w+) après", text)
        entry = stated(r"l'entrée en formation intervenant au plus tard (\w+ \w+) après", text)
        report = stated(r"justifier de l'emploi de la subvention au plus tard (\w+ \w+) après", text)
        assert (presentation, selection, signature, entry, report) == (
            (3, "mois"),
            (1, "mois"),
            (15, "jours"),
            (15, "jours"),
            (3, "mois"),
        )
        # Two posts: both presentations fall due on the same day.
        assert made.due(cid, "candidate_presentation") == [plus(day, *presentation)] * 2
        assert made.due(cid, "candidate_selection") == [plus(day, *selection)]
        assert made.due(cid, "contract_signature") == [plus(day, *signature)]
        assert made.due(cid, "training_entry", ended["id"]) == [plus(day, *entry)]
        assert made.due(cid, "final_report") == [plus(date.fromisoformat(convention["end_date"]), *report)]
    # The contract avenant: training entry 15 days from its signature, Pix and CCP1 6 months from the end
    # of the training, the thematic modules 12 months from the entry (obligations.yaml).
    entry = stated(r"(\w+ \w+) après la signature du présent avenant", avenant_text)
    exams = stated(r"au plus tard (\w+ \w+) après la fin de sa formation initiale", avenant_text)
    modules = stated(r"au plus tard (\w+ \w+) après son entrée en", avenant_text)
    assert (entry, exams, modules) == ((15, "jours"), (6, "mois"), (12, "mois"))
    assert made.due(cid, "training_entry", moved["id"]) == [plus(day, *entry)]
    assert made.due(cid, "certification_exams", moved["id"]) == [plus(trained, *exams)]
    assert made.due(cid, "thematic_modules", moved["id"]) == [plus(trained, *modules)]

    # --- Clawback: article 6's periods and rates are those payments recovers with. --------------------
    periods = [(int(m[3]), euros(m[4]), euros(m[5])) for m in _PERIOD.finditer(text)]
    assert periods == expected_periods(made)
    balance = p.call("payments", "GET", f"/conventions/{cid}/balance", 200, role="finance").get_json()
    [recovery] = [r for r in balance["recoveries"] if r["contract_id"] == ended["id"]]
    # The post was held from `worked_from` to `day`: every month begun in between, all in period 1, at
    # its stated rate; what is earned is the period's amount × months ÷ its months, rounded once.
    months = (day.year - worked_from.year) * 12 + day.month - worked_from.month + 1
    period_months, amount, rate = periods[0]
    assert recovery["periods"] == [
        {
            "period": 1,
            "months": months,
            "monthly_rate": str(rate),
            "earned": str(_round(amount * months / period_months)),
        }
    ]

    # --- Tranche amounts: the PDF's table, the conventions API and the payments schedule. -------------
    rows = [_TRANCHE.match(line) for line in lines]
    in_pdf = {int(m[1]): euros(m[3]) for m in rows if m}
    assert in_pdf == expected_tranches(made)
    assert {t["number"]: Decimal(t["amount"]) for t in stated_schedule} == in_pdf
    schedule = p.call("payments", "GET", f"/schedules/{cid}", 200, role="finance").get_json()["tranches"]
    assert {t["number"]: Decimal(t["amount"]) for t in schedule if t["kind"] == "instalment"} == in_pdf

    # --- The dated words around the figures. -----------------------------------------------------------
    paths = "parcours de 70, 175 ou 315 heures"
    assert (paths in avenant_text) is (day >= PATHS_FROM)
    if day < FREEZE:
        assert (paths in text) is (day >= PATHS_FROM)
    if convention["wave"] == "renewal" and day < FREEZE:
        # Renewal bonus of a public structure in QPV/ZRR: 20 000 − 17 500 = 2 500 in year 1, 17 500 −
        # 12 500 = 5 000 in year 2 (subsidy/renewal.yaml), the zone named as on the convention's start.
        zone = (
            "zone France Ruralités Revitalisation (FRR)"
            if day >= FRR_FROM
            else "zone de revitalisation rurale (ZRR)"
        )
        assert f"{zone}, soit 2 500,00 € la première année et 5 000,00 € la deuxième année" in text
        assert (
            "20 000,00 € la première année, 17 500,00 € la deuxième année et 12 500,00 € la troisième année"
            in text
        )
    if not made.public:
        republican = "contrat d'engagement républicain"
        assert (republican in text) is (day >= REPUBLICAN_FROM)
    assert ("Depuis le 13 juillet 2025" in text) is (day >= TITLE_FROM)

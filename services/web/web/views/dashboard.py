"""The programme dashboard (decision 0043): amounts, posts, overdue obligations and conventions ending,
for the officers who manage the programme.

Every figure is what its owner answers, summed or counted in its database, in one call per service:
payments the amounts (`/statistics/amounts`), conventions the posts and end dates
(`/statistics/conventions`), compliance the obligations (`/statistics/obligations`). The page adds
nothing up: it draws the charts (web.adapters.charts), writes the tables beside them, and makes each
figure a link to the list behind it, where the officer's role may open that list.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import Blueprint, render_template, url_for

from cnum_shared.core.money import format_decimal_fr, month_name_fr
from cnum_shared.framework.auth import Role
from web.adapters.charts import COLOURS, Chart, Series, bar_chart
from web.adapters.services import ServiceError
from web.views.common import roles, services, signed_in_role
from web.views.filters import euros

blp = Blueprint("dashboard", __name__)

#: Who manages the programme: legal and finance officers, administrators, auditors (not structures).
VIEWERS = (Role.LEGAL, Role.FINANCE, Role.ADMIN, Role.AUDITOR)
#: Who may open each list a figure leads to (the lists' own pages say so: finance, legal, compliance).
#: The tranches and the recoveries are finance's lists, for the same roles (finance.READERS).
TRANCHE_READERS = (Role.FINANCE, Role.ADMIN, Role.AUDITOR)
CONVENTION_READERS = (Role.LEGAL, Role.ADMIN, Role.AUDITOR)
OBLIGATION_READERS = (Role.COMPLIANCE, Role.ADMIN, Role.AUDITOR)

#: The amounts payments answers, in the words of the page, the list each figure leads to and the statuses
#: it is made of (payments' definitions, decision 0043): tranches, and for « À reverser » the recoveries
#: provisional or issued (payments' RECOVERABLE), listed by the recoveries' page.
AMOUNTS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("committed", "Engagé", "finance.tranches", ("scheduled", "due", "blocked", "approved", "paid")),
    ("paid", "Versé", "finance.tranches", ("paid",)),
    ("due", "À verser", "finance.tranches", ("due", "blocked", "approved")),
    ("recoverable", "À reverser", "finance.recoveries", ("provisional", "issued")),
)
POSTS: tuple[tuple[str, str], ...] = (
    ("conventions", "Conventions en cours"),
    ("posts", "Postes attribués"),
    ("filled", "Postes pourvus"),
)


def _section(service: str, path: str, **params: Any) -> dict[str, Any] | None:
    """A service's figures, or None when it cannot answer now: the rest of the page is still drawn."""
    try:
        return dict(services().get(service, path, **params))
    except ServiceError as error:
        if error.status in (401, 403):
            raise
        return None


def _may(allowed: Sequence[Role]) -> bool:
    return signed_in_role() in allowed


def _euros_axis(value: float) -> str:
    """A value axis tick: "1,2 M€", "850 k€", "0 €" (the table gives the exact amounts)."""
    if abs(value) >= 1_000_000:
        return f"{format_decimal_fr(Decimal(str(round(value / 1_000_000, 1))))} M€"
    if abs(value) >= 1_000:
        return f"{format_decimal_fr(Decimal(round(value / 1_000)))} k€"
    return f"{format_decimal_fr(Decimal(round(value)))} €"


def _count_axis(value: float) -> str:
    return format_decimal_fr(Decimal(round(value)))


def _amount_link(endpoint: str, statuses: tuple[str, ...], territory: dict[str, Any]) -> str | None:
    """The finance list (tranches or recoveries) an amount adds up, in its statuses and territory."""
    if not _may(TRANCHE_READERS):
        return None
    return url_for(endpoint, status=list(statuses), **territory)


def _conventions_link(**filters: Any) -> str | None:
    if not _may(CONVENTION_READERS):
        return None
    return url_for("legal.conventions", **filters)


def _obligations_link(**filters: Any) -> str | None:
    if not _may(OBLIGATION_READERS):
        return None
    return url_for("compliance.obligations", status="overdue", **filters)


def _amount_rows(rows: Sequence[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Each territory's amounts with the link of each figure (`key`: "region" or "department")."""
    return [
        {
            "code": row.get("code"),
            "name": row.get("name"),
            "figures": [
                {
                    "value": row.get(name),
                    "link": _amount_link(endpoint, statuses, {key: row["code"]}) if row.get("code") else None,
                }
                for name, _, endpoint, statuses in AMOUNTS
            ],
        }
        for row in rows
    ]


def _amounts(answer: dict[str, Any] | None) -> dict[str, Any] | None:
    if answer is None:
        return None
    regions = answer.get("regions") or []
    total = answer.get("total") or {}
    chart: Chart | None = None
    if regions:
        chart = bar_chart(
            "chart-amounts",
            title="Montants par région",
            description=(
                f"Barres horizontales : pour chacune des {len(regions)} régions, le montant engagé, versé, "
                f"à verser et à reverser. En tout : engagé {euros(total.get('committed'))}, versé "
                f"{euros(total.get('paid'))}, à verser {euros(total.get('due'))}, à reverser "
                f"{euros(total.get('recoverable'))}. Le tableau qui suit donne chaque montant."
            ),
            categories=[str(row["name"]) for row in regions],
            series=[
                Series(label, [float(Decimal(str(row.get(name) or 0))) for row in regions], COLOURS[index])
                for index, (name, label, _, _) in enumerate(AMOUNTS)
            ],
            horizontal=True,
            value_format=_euros_axis,
        )
    return {
        "chart": chart,
        "labels": [label for _, label, _, _ in AMOUNTS],
        "total": {
            "figures": [
                {"value": total.get(name), "link": _amount_link(endpoint, statuses, {})}
                for name, _, endpoint, statuses in AMOUNTS
            ],
            "issued": total.get("recoverable_issued"),
        },
        "regions": _amount_rows(regions, "region"),
        "departments": _amount_rows(answer.get("departments") or [], "department"),
        "links": _may(TRANCHE_READERS),
    }


def _post_rows(rows: Sequence[dict[str, Any]], key: str, as_of: str) -> list[dict[str, Any]]:
    return [
        {
            "code": row.get("code"),
            "name": row.get("name"),
            "figures": [
                {"value": row.get(name), "link": _conventions_link(active_on=as_of, **{key: row["code"]})}
                for name, _ in POSTS
            ],
        }
        for row in rows
    ]


def _posts(answer: dict[str, Any] | None) -> dict[str, Any] | None:
    if answer is None:
        return None
    as_of = str(answer.get("as_of"))
    posts = answer.get("posts") or {}
    regions = posts.get("regions") or []
    total = posts.get("total") or {}
    chart: Chart | None = None
    if regions:
        chart = bar_chart(
            "chart-posts",
            title="Postes en cours par région",
            description=(
                f"Barres horizontales : pour chacune des {len(regions)} régions, les postes attribués "
                f"par les conventions en cours et les postes pourvus. En tout : {total.get('posts', 0)} "
                f"postes attribués, {total.get('filled', 0)} pourvus, dans "
                f"{total.get('conventions', 0)} conventions. "
                "Le tableau qui suit donne chaque nombre."
            ),
            categories=[str(row["name"]) for row in regions],
            series=[
                Series("Postes attribués", [float(row.get("posts") or 0) for row in regions], COLOURS[0]),
                Series("Postes pourvus", [float(row.get("filled") or 0) for row in regions], COLOURS[4]),
            ],
            horizontal=True,
            value_format=_count_axis,
        )
    return {
        "as_of": as_of,
        "chart": chart,
        "labels": [label for _, label in POSTS],
        "total": {
            "figures": [
                {"value": total.get(name), "link": _conventions_link(active_on=as_of)} for name, _ in POSTS
            ]
        },
        "regions": _post_rows(regions, "region", as_of),
        "departments": _post_rows(posts.get("departments") or [], "department", as_of),
        "links": _may(CONVENTION_READERS),
    }


def _month_name(first_day: date) -> str:
    return f"{month_name_fr(first_day)} {first_day.year}"


def _endings(answer: dict[str, Any] | None) -> dict[str, Any] | None:
    if answer is None:
        return None
    endings = answer.get("endings") or {}
    months = []
    for month in endings.get("months") or []:
        first_day = date.fromisoformat(str(month["first_day"]))
        months.append(
            {
                "name": _month_name(first_day),
                "short": f"{first_day:%m/%Y}",
                "conventions": month.get("conventions", 0),
                "posts": month.get("posts", 0),
                "link": _conventions_link(
                    running="true", ends_from=month["first_day"], ends_to=month["last_day"]
                ),
            }
        )
    unclosed = endings.get("ended_unclosed") or {}
    before = str(unclosed.get("before") or "")
    chart: Chart | None = None
    if months:
        busiest = max(months, key=lambda month: month["conventions"])
        chart = bar_chart(
            "chart-endings",
            title="Conventions en cours qui finissent, par mois",
            description=(
                f"Barres verticales : le nombre de conventions en cours qui finissent chaque mois, de "
                f"{months[0]['name']} à {months[-1]['name']}. "
                + (
                    f"Le mois qui en compte le plus est {busiest['name']} ({busiest['conventions']}). "
                    if busiest["conventions"]
                    else "Aucune ne finit dans ces mois. "
                )
                + "Le tableau qui suit donne chaque mois."
            ),
            categories=[month["short"] for month in months],
            series=[Series("Conventions", [float(month["conventions"]) for month in months], COLOURS[0])],
            horizontal=False,
            value_format=_count_axis,
        )
    return {
        "chart": chart,
        "months": months,
        "unclosed": {
            "conventions": unclosed.get("conventions", 0),
            "posts": unclosed.get("posts", 0),
            "before": before,
            "link": _conventions_link(
                running="true", ends_to=(date.fromisoformat(before) - timedelta(days=1)).isoformat()
            )
            if before
            else None,
        },
        "links": _may(CONVENTION_READERS),
    }


def _obligations(answer: dict[str, Any] | None) -> dict[str, Any] | None:
    if answer is None:
        return None
    overdue = answer.get("overdue") or {}
    kinds = [
        {
            "kind": row.get("kind"),
            "label": row.get("label") or row.get("kind"),
            "obligations": row.get("obligations", 0),
            "structures": row.get("structures", 0),
            "link": _obligations_link(kind=str(row.get("kind"))),
        }
        for row in overdue.get("kinds") or []
    ]
    total = overdue.get("total") or {}
    chart: Chart | None = None
    if kinds:
        late = sorted((kind for kind in kinds if kind["obligations"]), key=lambda kind: -kind["obligations"])
        chart = bar_chart(
            "chart-obligations",
            title="Obligations en retard, par nature",
            description=(
                "Barres horizontales : le nombre d'obligations en retard de chacune des "
                f"{len(kinds)} natures. "
                f"En tout : {total.get('obligations', 0)} obligations en retard, chez "
                f"{total.get('structures', 0)} structures. "
                + (
                    f"La plus fréquente : {late[0]['label']} ({late[0]['obligations']}). "
                    if late
                    else "Aucune obligation n'est en retard. "
                )
                + "Le tableau qui suit donne chaque nombre."
            ),
            categories=[str(kind["label"]) for kind in kinds],
            series=[
                Series("Obligations en retard", [float(kind["obligations"]) for kind in kinds], COLOURS[3])
            ],
            horizontal=True,
            value_format=_count_axis,
        )
    return {
        "chart": chart,
        "kinds": kinds,
        "total": {
            "obligations": total.get("obligations", 0),
            "structures": total.get("structures", 0),
            "link": _obligations_link(),
        },
        "links": _may(OBLIGATION_READERS),
    }


@blp.get("/tableau-de-bord")
@roles(*VIEWERS)
def dashboard() -> Any:
    """The dashboard: one call per service, whatever the number of territories, months or kinds."""
    amounts = _section("payments", "/statistics/amounts")
    # The conventions service's own day (its clock) is the day of the posts in force.
    conventions = _section("conventions", "/statistics/conventions", months=12)
    obligations = _section("compliance", "/statistics/obligations")
    return render_template(
        "dashboard/index.html",
        amounts=_amounts(amounts),
        posts=_posts(conventions),
        endings=_endings(conventions),
        obligations=_obligations(obligations),
    )

"""The final statement (`final_statement`, décompte final) of a closed convention: per post and in total,
what the structure earned, was paid, what remains to pay or to recover, and what closing booked.

Every figure is payments' (the `statement` and `posts` parts, from `final_statement.settled`, decision
0033); the rule's wording is article 6's, its rates the convention's funded periods. The legal date is
the closing date: a statement of a convention closed from 13 July 2025 names the post by both titles.
"""

from __future__ import annotations

from docx.shared import Cm

from conventions.domain.documents import Edition
from conventions.templates.build.passages import (
    AGENCY,
    beneficiary,
    generated_note,
    post_title,
    title_paragraph,
)
from conventions.templates.build.writer import TemplateWriter


def build_final_statement(edition: Edition) -> bytes:
    writer = TemplateWriter(
        edition=edition,
        title="Décompte final de la convention de subvention — dispositif Conseiller numérique",
        subject="Subvention acquise, versée, reste à payer ou à reverser à la clôture de la convention",
        header="Décompte final — convention n° {{ convention.reference }}",
        footer="Décompte final de la convention n° {{ convention.reference }}",
    )
    writer.title(
        "Décompte final de la convention {{ convention.reference }}",
        "Convention de subvention — dispositif Conseiller numérique",
    )

    writer.heading("Les parties")
    writer.para(f"**Organisme payeur** : {AGENCY}, 56, rue de Lille, 75007 Paris (« la Caisse des Dépôts »).")
    beneficiary(writer)

    writer.heading("La convention")
    writer.para(
        "Convention n° {{ convention.reference }} ({{ convention.wave_label }}), signée le "
        "{{ convention.signed_on }}, pour la période du {{ convention.start_date }} au "
        "{{ convention.end_date }} : " + post_title(edition, "{{ convention.posts_text }}") + ", une "
        "subvention de {{ convention.amount_per_post }} par poste, chaque poste étant financé pendant "
        "{{ convention.funded_months }} mois, soit une subvention totale de {{ convention.total_amount }} "
        "à la signature."
    )
    writer.para(
        "La convention a été close le **{{ statement.closed_on }}**. Le présent décompte compte les mois "
        "occupés jusqu'au {{ statement.as_of }} ; les sommes versées, en paiement et demandées en "
        "reversement sont celles des écritures de la Caisse des Dépôts à la clôture."
    )
    if edition.since("title_2025"):
        title_paragraph(writer, "le présent décompte")

    writer.heading("Subvention acquise, poste par poste")
    writer.para(
        "Conformément à l'article 6 de la convention, chaque poste acquiert, pour chaque mois de la "
        "convention commencé pendant lequel il a été occupé, du début à la fin du contrat du conseiller, le "
        "taux mensuel de la période financée dans laquelle tombe ce mois ; le montant acquis sur chaque "
        "période est arrondi une seule fois, au centime le plus proche. Un mois n'est compté qu'une fois "
        "par poste : le remplacement d'un conseiller commencé le mois de son départ compte à partir du mois "
        "suivant. Les périodes financées et leurs taux mensuels sont les suivants :"
    )
    writer.periods_table()
    writer.loop_table(
        ("Poste", "Contrats et périodes occupées", "Mois occupés", "Subvention acquise"),
        (Cm(1.5), Cm(8.5), Cm(2.5), Cm(3.5)),
        "post in posts",
        ("{{ post.number }}", "{{ post.contracts_text }}", "{{ post.months }}", "{{ post.earned }}"),
    )
    writer.para("Au total, les postes ont été occupés pendant {{ statement.months }} mois.")

    writer.heading("Totaux")
    writer.pairs_table(
        (
            ("Subvention accordée (convention et avenants)", "{{ statement.granted }}"),
            ("Subvention acquise", "{{ statement.earned }}"),
            ("Sommes versées, déduction faite des reversements reçus", "{{ statement.paid }}"),
            ("Solde (subvention acquise − sommes versées)", "{{ statement.balance }}"),
        ),
        bold_last=True,
    )
    writer.when(
        'statement.outcome == "to_pay"',
        "**Reste à payer** au Bénéficiaire : **{{ statement.to_pay }}** ({{ statement.to_pay_words }}).",
    )
    writer.when(
        'statement.outcome == "to_recover"',
        "**À reverser** par le Bénéficiaire : **{{ statement.to_recover }}** "
        "({{ statement.to_recover_words }}).",
    )
    writer.when(
        'statement.outcome == "nil"',
        "Le solde est nul : la subvention acquise a été entièrement versée ; rien ne reste à payer ni à "
        "reverser.",
    )

    writer.heading("Ce que la clôture règle")
    writer.para(
        "À la clôture, **{{ statement.in_payment }}** étaient déjà en paiement (versements approuvés ou "
        "inscrits, non encore payés) et **{{ statement.claimed }}** déjà demandés en reversement "
        "(reversements émis, non encore reçus). La clôture règle le solde, diminué de ce qui est en "
        "paiement et augmenté de ce qui est déjà demandé, soit **{{ statement.to_settle }}**."
    )
    writer.when(
        'statement.settlement_kind == "payment"',
        "La clôture a inscrit au profit du Bénéficiaire un dernier versement de "
        "**{{ statement.settlement_amount }}**, payé par la Caisse des Dépôts sur son compte "
        "(IBAN {{ structure.iban }}) après les tranches antérieures.",
    )
    writer.when(
        'statement.settlement_kind == "recovery"',
        "La clôture a émis un reversement de **{{ statement.settlement_amount }}** à la charge du "
        "Bénéficiaire. Un ordre de reversement, adressé séparément, en précise le compte à créditer, la "
        "référence à rappeler sur le virement et la date limite de paiement.",
    )
    writer.when(
        'statement.settlement_kind == "none"',
        "La clôture n'a rien inscrit : ce qui est déjà en paiement ou déjà demandé en reversement solde la "
        "convention.",
    )

    writer.para(
        "Le Bénéficiaire peut présenter ses observations sur le présent décompte à la Caisse des Dépôts, "
        "par écrit, en rappelant la référence de la convention."
    )
    generated_note(writer)
    return writer.to_bytes()

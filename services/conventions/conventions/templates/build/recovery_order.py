"""The order (`recovery_order`, ordre de reversement) of a recovery payments issued: the structure, the
convention, the kind of recovery and its computation, the amount, the account to pay to, the reference to
write on the transfer, the deadline and the repayment delay the convention states.

Every figure is payments' (`recovery.issued`, decision 0033); only the computation of the order's own kind
is printed (`{%p if recovery.kind == … %}`). The legal date is the issue date: an order issued from 13 July
2025 names the post by both titles.
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


def build_recovery_order(edition: Edition) -> bytes:
    writer = TemplateWriter(
        edition=edition,
        title="Ordre de reversement — dispositif Conseiller numérique",
        subject="Reversement d'une part de la subvention à la Caisse des Dépôts",
        header="Ordre de reversement — convention n° {{ convention.reference }}",
        footer="Ordre de reversement {{ recovery.payment_reference }}",
    )
    writer.title(
        "Ordre de reversement",
        "Convention de subvention n° {{ convention.reference }} — dispositif Conseiller numérique",
    )

    writer.heading("Les parties")
    writer.para(f"**Créancier** : {AGENCY}, 56, rue de Lille, 75007 Paris (« la Caisse des Dépôts »).")
    beneficiary(writer, label="Débiteur")

    writer.heading("La convention")
    writer.para(
        "Convention n° {{ convention.reference }} ({{ convention.wave_label }}), signée le "
        "{{ convention.signed_on }}, pour la période du {{ convention.start_date }} au "
        "{{ convention.end_date }}, portant sur " + post_title(edition, "{{ convention.posts_text }}") + ", "
        "avec une subvention de {{ convention.amount_per_post }} par poste."
    )
    if edition.since("title_2025"):
        title_paragraph(writer, "le présent ordre")

    writer.heading("Objet du reversement")
    writer.para("Motif : **{{ recovery.kind_label }}**. Ordre émis le {{ recovery.issued_on }}.")

    writer.tag('{%p if recovery.kind == "post_ended" %}')
    writer.para(
        "Le poste occupé ({{ recovery.contract_label }}, commencé le {{ recovery.contract_start }}) a "
        "pris fin le {{ recovery.contract_ended_on }} et n'a pas été pourvu à nouveau dans le délai "
        "prévu. En application de l'article 6 de la convention, ce poste a acquis la subvention des "
        "{{ recovery.months_started_text }} de la convention commencés pendant lesquels il a été occupé, "
        "au taux mensuel de chaque période financée :"
    )
    writer.loop_table(
        ("Période financée", "Mois occupés", "Taux mensuel par poste", "Subvention acquise"),
        (Cm(6.5), Cm(2.5), Cm(3.5), Cm(3.5)),
        "period in periods",
        (
            "du {{ period.starts_on }} au {{ period.ends_on }}",
            "{{ period.months }}",
            "{{ period.monthly_rate }}",
            "{{ period.earned }}",
        ),
    )
    writer.pairs_table(
        (
            ("Subvention acquise par le poste", "{{ recovery.earned }}"),
            (
                "Sommes versées au titre du poste (versements ÷ nombre de postes)",
                "{{ recovery.paid_per_post }}",
            ),
            ("À reverser (sommes versées − subvention acquise)", "{{ recovery.amount }}"),
        ),
        bold_last=True,
    )
    writer.tag("{%p endif %}")

    writer.tag('{%p if recovery.kind == "regularisation" %}')
    writer.para(
        "Un avenant signé a réduit la subvention. La tranche n° {{ computation.tranche }}, déjà "
        "{{ computation.tranche_status_label }}, représentait {{ computation.already }} ; l'avenant la "
        "ramène à {{ computation.signed }}, soit une réduction de {{ computation.reduction }}. La part de "
        "cette réduction que les versements complémentaires non encore payés n'absorbent pas est à "
        "reverser : **{{ recovery.amount }}**."
    )
    writer.tag("{%p endif %}")

    writer.tag('{%p if recovery.kind == "final_statement" %}')
    writer.para(
        "Le décompte final de la convention, établi à sa clôture en comptant les mois occupés jusqu'au "
        "{{ computation.as_of }}, fait apparaître un trop-perçu :"
    )
    writer.pairs_table(
        (
            ("Subvention accordée (convention et avenants)", "{{ computation.granted }}"),
            ("Subvention acquise", "{{ computation.earned }}"),
            ("Sommes versées, déduction faite des reversements reçus", "{{ computation.paid }}"),
            ("Solde (subvention acquise − sommes versées)", "{{ computation.balance }}"),
            ("Déjà en paiement", "{{ computation.in_payment }}"),
            ("Déjà demandé en reversement", "{{ computation.claimed }}"),
            ("Réglé par la clôture (solde − en paiement + déjà demandé)", "{{ computation.to_settle }}"),
        ),
        bold_last=True,
    )
    writer.tag("{%p endif %}")

    writer.heading("Montant à reverser")
    writer.para(
        "Le Débiteur reverse à la Caisse des Dépôts la somme de **{{ recovery.amount }}** "
        "(**{{ recovery.amount_words }}**)."
    )

    writer.heading("Modalités de paiement")
    writer.para("Le reversement est fait par virement au compte suivant :")
    writer.pairs_table(
        (
            ("Titulaire du compte", "{{ pay_to.name }}"),
            ("IBAN", "{{ pay_to.iban }}"),
            ("BIC", "{{ pay_to.bic }}"),
            ("Référence à indiquer sur le virement", "{{ recovery.payment_reference }}"),
        ),
        # The reference (CNR and 32 hexadecimal digits) on one line, so that it is copied whole.
        widths=(Cm(4.5), Cm(10.5)),
    )
    writer.para(
        "La référence **{{ recovery.payment_reference }}** est à reporter, sans modification, dans le "
        "libellé du virement : elle seule permet de rapprocher le paiement du présent ordre."
    )
    writer.para(
        "Date limite : le virement doit parvenir à la Caisse des Dépôts au plus tard le "
        "**{{ recovery.pay_by }}**, soit {{ recovery.repayment_delay }} après l'émission du présent ordre, "
        "délai de reversement que fixe la convention."
    )
    writer.para("À défaut de paiement dans ce délai, la Caisse des Dépôts en poursuit le recouvrement.")
    generated_note(writer)
    return writer.to_bytes()

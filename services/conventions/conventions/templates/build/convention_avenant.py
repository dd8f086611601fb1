"""The convention avenant (`convention_avenant`): a change of the number of posts, one text per edition."""

from __future__ import annotations

from conventions.domain.documents import Edition
from conventions.templates.build.passages import (
    agency_block,
    clawback_rule,
    convention_parties,
    generated_note,
    structure_block,
    title_paragraph,
)
from conventions.templates.build.writer import TemplateWriter


def build_convention_avenant(edition: Edition) -> bytes:
    writer = TemplateWriter(
        edition=edition,
        title="Avenant à la convention de subvention — dispositif Conseiller numérique",
        subject="Modification du nombre de postes et du montant de la subvention",
        header="Avenant n° {{ amendment.number }} — convention n° {{ convention.reference }}",
        footer="Avenant n° {{ amendment.number }} à la convention n° {{ convention.reference }}",
    )
    writer.title(
        "Avenant n° {{ amendment.number }} à la convention {{ convention.reference }}",
        "Convention de subvention — dispositif Conseiller numérique",
    )
    convention_parties(writer)

    writer.heading("Préambule")
    writer.para(
        "Par la convention n° {{ convention.reference }} signée le {{ convention.signed_on }}, la Caisse des "
        "Dépôts, agissant pour le compte de l'État, a attribué au Bénéficiaire une subvention de "
        "{{ convention.amount_per_post }} par poste de conseiller numérique"
        + (" (médiateur numérique)" if edition.since("title_2025") else "")
        + ", pour la "
        "période du {{ convention.start_date }} au {{ convention.end_date }}, chaque poste étant financé "
        "pendant {{ convention.funded_months }} mois."
    )
    writer.para("Avant le présent avenant, la convention porte sur {{ convention.posts_before_text }}.")
    writer.para(
        "Par une demande du {{ amendment.requested_on }}, le Bénéficiaire a sollicité la modification de la "
        "convention pour le motif suivant : {{ amendment.reason }}"
    )
    writer.when(
        "amendment.contract_ended_on",
        "Le contrat de travail du conseiller numérique occupant l'un des postes a pris fin le "
        "{{ amendment.contract_ended_on }}.",
    )
    if edition.since("refill_2025"):
        writer.when(
            "amendment.contract_ended_on",
            # True whether the structure gives the post back of its own accord or the delay ran out.
            "Le poste ainsi libéré est restitué à l'État, à la demande du Bénéficiaire ou faute d'avoir été "
            "pourvu au plus tard {{ law.post_refill_delay }} après cette fin de contrat.",
        )
    writer.para(
        "À la date du {{ amendment.paid_as_of }}, la Caisse des Dépôts a versé au Bénéficiaire, au titre de "
        "la convention, la somme de {{ amendment.paid_to_date }}."
    )
    if edition.since("title_2025"):
        title_paragraph(writer, "le présent avenant")
    writer.para("Il est convenu ce qui suit :")

    writer.heading("Article 1 — Nombre de postes")
    writer.para(
        "À compter du {{ amendment.effective_date }}, le nombre de postes de conseiller numérique financés "
        "au titre de la convention passe de {{ convention.posts_before_text }} à "
        "{{ amendment.posts_text }}."
    )

    writer.heading("Article 2 — Montant de la subvention et échéancier")
    writer.para(
        "Le montant total de la subvention passe de {{ amendment.total_before }} à "
        "**{{ amendment.new_total_amount }}** (**{{ amendment.new_total_amount_words }}**)."
    )
    writer.para(
        "La variation est calculée période financée par période financée : variation du nombre de postes "
        "× montant par poste de la période × nombre de mois de la période comptés à partir du mois de la "
        "date d'effet (un mois commencé avant la date d'effet garde l'ancien nombre de postes) ÷ nombre de "
        "mois de la période."
    )
    writer.para(
        "La variation est répartie sur les tranches dont l'échéance tombe à la date d'effet ou après, au "
        "prorata de leurs montants, la dernière recevant l'arrondi ; une baisse que ces tranches ne peuvent "
        "absorber est imputée sur les tranches antérieures, en commençant par la plus récente. "
        "L'échéancier de la subvention est désormais le suivant :"
    )
    writer.amended_tranches_table(total="{{ amendment.new_total_amount }}")
    writer.para(
        "Lorsqu'une tranche déjà approuvée ou versée change de montant, elle n'est pas modifiée : la "
        "différence fait l'objet d'un versement complémentaire si elle est positive, ou d'un reversement "
        "à la Caisse des Dépôts dans les conditions de l'article 6 de la convention si elle est négative."
    )
    writer.para(
        "Au titre du présent avenant, le Bénéficiaire reverse à la Caisse des Dépôts la somme de "
        "**{{ amendment.amount_to_recover }}**, au plus tard {{ law.repayment_delay }} après la "
        "demande de la Caisse des Dépôts."
    )

    writer.heading("Article 3 — Reversement en cas de fin d'un poste")
    writer.para("L'article 6 de la convention s'applique au nombre de postes issu du présent avenant :")
    clawback_rule(writer)

    writer.heading("Article 4 — Autres stipulations")
    writer.para(
        "Toutes les stipulations de la convention qui ne sont pas modifiées par le présent avenant demeurent "
        "inchangées et applicables."
    )
    writer.para(
        "Le présent avenant entre en vigueur à la date de sa signature par la dernière des Parties ; ses "
        "effets sur le nombre de postes et sur le montant de la subvention s'appliquent à compter du "
        "{{ amendment.effective_date }}."
    )

    writer.para("Fait en deux exemplaires originaux.")
    writer.signatures(agency_block("{{ amendment.signed_on }}"), structure_block("{{ amendment.signed_on }}"))
    generated_note(writer)
    return writer.to_bytes()

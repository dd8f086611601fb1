"""Passages several templates share: the parties, the signature blocks, the clawback rule, the note."""

from __future__ import annotations

from conventions.domain.documents import Edition
from conventions.templates.build.writer import TemplateWriter

AGENCY = "la Caisse des dépôts et consignations, agissant pour le compte de l'État (Banque des Territoires)"
AGENCY_SIGNATORY = "Pour la Caisse des dépôts et consignations, agissant pour le compte de l'État"
PLACE_AND_DATE = "Fait à ………………, le "


def convention_parties(writer: TemplateWriter) -> None:
    writer.label("ENTRE LES SOUSSIGNÉS")
    writer.para(
        f"**{AGENCY[0].upper()}{AGENCY[1:]}**, établissement spécial créé par la loi du 28 avril 1816, "
        "codifiée aux articles L. 518-2 et suivants du code monétaire et financier, dont le siège est situé "
        "56, rue de Lille, 75007 Paris, représentée par la personne dûment habilitée à l'effet des présentes,"
    )
    writer.para("ci-après dénommée « la Caisse des Dépôts »,", align="left")
    writer.para("d'une part,", align="right")
    writer.label("ET")
    writer.para(
        "**{{ structure.name }}**, {{ structure.kind_label }} ({{ structure.structure_type_label }}), "
        "immatriculée sous le numéro {{ structure.identifier_label }} {{ structure.siret }}, "
        "dont le siège est situé {{ structure.address }}, {{ structure.postcode }} {{ structure.city }} "
        "({{ structure.department_name }}), joignable à l'adresse électronique {{ structure.email }}, "
        "représentée par {{ structure.legal_representative }}, dûment habilité(e) à l'effet des présentes,"
    )
    writer.when(
        "structure.local_law_association",
        "Le Bénéficiaire est une association inscrite au registre des associations du tribunal judiciaire, "
        "régie par les articles 21 à 79-III du code civil local applicable dans les départements du "
        "Bas-Rhin, du Haut-Rhin et de la Moselle (droit local des associations de 1908), et non par la loi "
        "du 1er juillet 1901.",
    )
    writer.para("ci-après dénommée « le Bénéficiaire »,", align="left")
    writer.para("d'autre part,", align="right")
    writer.para("ci-après dénommées ensemble « les Parties ».", align="left")


def beneficiary(writer: TemplateWriter, *, label: str = "Bénéficiaire") -> None:
    """The structure as a statement or an order names it (not a party signing: no representative)."""
    writer.para(
        f"**{label}** : {{{{ structure.name }}}}, {{{{ structure.kind_label }}}} "
        "({{ structure.structure_type_label }}), {{ structure.identifier_label }} {{ structure.siret }}, "
        "{{ structure.address }}, {{ structure.postcode }} {{ structure.city }} "
        "({{ structure.department_name }}), joignable à l'adresse électronique {{ structure.email }} "
        f"(« le {label} »)."
    )


def post_title(edition: Edition, posts: str) -> str:
    """ "2 (deux) postes de conseiller numérique", with the 2025 title from its edition."""
    title = " (médiateur numérique)" if edition.since("title_2025") else ""
    return f"{posts} de conseiller numérique{title}"


def agency_block(signed_on: str) -> list[str]:
    return [PLACE_AND_DATE + signed_on, f"**{AGENCY_SIGNATORY}**", "Nom, qualité et signature :"]


def structure_block(signed_on: str) -> list[str]:
    return [
        PLACE_AND_DATE + signed_on,
        "**Pour {{ structure.name }}**",
        "{{ structure.legal_representative }}",
        "Signature et cachet :",
    ]


def clawback_rule(writer: TemplateWriter) -> None:
    """Article 6's rule (restated by the avenant), with the rates of the convention's funded periods."""
    writer.para(
        "Lorsqu'un poste n'a pas été occupé pendant toute la période financée, la subvention acquise au "
        "titre de ce poste est calculée mois par mois : pour chaque mois de la convention commencé pendant "
        "lequel le poste a été occupé, du début à la fin du contrat du conseiller, le poste acquiert le "
        "taux mensuel de la période financée dans laquelle tombe ce mois, soit le montant par poste de la "
        "période divisé par le nombre de mois de la période. Le montant acquis sur chaque période est "
        "arrondi une seule fois, au centime le plus proche. Les périodes financées et leurs taux mensuels "
        "sont les suivants :"
    )
    writer.periods_table()
    writer.para(
        "Les sommes versées au titre d'un poste sont le total des versements de la convention divisé par "
        "le nombre de postes. Lorsqu'elles dépassent la subvention acquise par ce poste, la différence est "
        "reversée ou, avec l'accord de la Caisse des Dépôts, imputée sur une tranche ultérieure."
    )


def generated_note(writer: TemplateWriter) -> None:
    writer.para(
        "Document établi le {{ document.generated_on }} — référence {{ document.reference }}.",
        italic=True,
        align="left",
        small=True,
    )


def title_paragraph(writer: TemplateWriter, where: str) -> None:
    """The 13 July 2025 title, its date read from the parameters (documents.template_edition)."""
    writer.para(
        "Depuis le {{ law.title_since }}, le titre professionnel des conseillers numériques est celui de "
        f"« médiateur numérique ». Dans {where}, les termes « conseiller numérique » et « médiateur "
        "numérique » désignent la même fonction."
    )


def personal_data(writer: TemplateWriter) -> None:
    """What article 13 of the GDPR requires the persons concerned be told."""
    writer.para(
        "Les données à caractère personnel recueillies pour l'exécution de la présente convention (identité "
        "et coordonnées des représentants du Bénéficiaire et des conseillers, éléments de leur contrat de "
        "travail et de leur rémunération) sont traitées par la Caisse des Dépôts, responsable du traitement "
        "agissant pour le compte de l'État, aux fins d'instruire, de verser et de contrôler la subvention et "
        "de suivre le dispositif. Ce traitement est nécessaire à l'exécution d'une mission d'intérêt public "
        "(article 6, paragraphe 1, point e, du règlement (UE) 2016/679 du 27 avril 2016, RGPD)."
    )
    writer.para(
        "Les données sont destinées aux services de la Caisse des Dépôts chargés du dispositif, à l'ANCT, "
        "aux services de l'État qui le pilotent et aux organes de contrôle habilités ; elles ne sont pas "
        "transférées hors de l'Union européenne. Elles sont conservées pendant la durée de la convention, "
        "puis {{ law.retention_years }} ans après sa clôture ou sa résiliation."
    )
    writer.para(
        "Les personnes concernées disposent d'un droit d'accès, de rectification, d'effacement, de "
        "limitation du traitement et d'opposition, qu'elles exercent auprès du délégué à la protection des "
        "données de la Caisse des Dépôts. Elles peuvent introduire une réclamation auprès de la Commission "
        "nationale de l'informatique et des libertés (CNIL). Le Bénéficiaire informe les conseillers de ce "
        "traitement."
    )

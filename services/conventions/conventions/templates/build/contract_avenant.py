"""The employment-contract avenant (`contract_avenant`): a CDI employee moved to the advisor post."""

from __future__ import annotations

from conventions.domain.documents import Edition
from conventions.templates.build.passages import (
    PLACE_AND_DATE,
    generated_note,
    title_paragraph,
)
from conventions.templates.build.writer import TemplateWriter


def build_contract_avenant(edition: Edition) -> bytes:
    writer = TemplateWriter(
        edition=edition,
        title="Avenant au contrat de travail — conseiller numérique",
        subject="Affectation d'un salarié en CDI sur un poste de conseiller numérique",
        header="Avenant au contrat de travail — réf. {{ document.reference }}",
        footer="Avenant au contrat de travail de {{ employee.first_name }} {{ employee.last_name }}",
    )
    # A titulaire has no contract to amend: the employer assigns them by an arrêté (or a décision) of
    # affectation; an agent contractuel's contract is amended by an avenant under the code général de la
    # fonction publique; a private employee's, under the code du travail.
    writer.tag('{%p if contract.public_status == "titulaire" %}')
    writer.title(
        "Arrêté d'affectation", "Affectation d'un fonctionnaire sur un poste de conseiller numérique"
    )
    writer.tag("{%p else %}")
    writer.title(
        "Avenant au contrat de travail",
        "Affectation sur un poste de conseiller numérique"
        + (" (médiateur numérique)" if edition.since("title_2025") else ""),
    )
    writer.tag("{%p endif %}")
    writer.when(
        'contract.public_status == "titulaire"',
        "L'autorité territoriale ou l'autorité investie du pouvoir de nomination de {{ structure.name }}, "
        "vu le code général de la fonction publique, prend le présent arrêté, qui vaut décision "
        "d'affectation de l'agent titulaire désigné ci-dessous ; les stipulations qui suivent en "
        "fixent les conditions.",
    )
    writer.when(
        'contract.public_status == "contractuel"',
        "Le présent avenant modifie le contrat d'un agent contractuel de droit public, régi par le code "
        "général de la fonction publique.",
    )
    writer.when(
        'contract.employment_law == "private"',
        "Le présent avenant modifie un contrat de travail de droit privé, régi par le code du travail et "
        "par la convention collective {{ contract.collective_agreement }}.",
    )
    writer.label("ENTRE LES SOUSSIGNÉS")
    writer.para(
        "**{{ structure.name }}**, {{ structure.kind_label }} ({{ structure.structure_type_label }}), "
        "immatriculée sous le numéro {{ structure.identifier_label }} {{ structure.siret }}, "
        "dont le siège est situé {{ structure.address }}, {{ structure.postcode }} {{ structure.city }}, "
        "représentée par {{ structure.legal_representative }}, en qualité d'employeur,"
    )
    writer.para("ci-après dénommée « l'Employeur »,", align="left")
    writer.para("d'une part,", align="right")
    writer.label("ET")
    writer.para("**{{ employee.first_name }} {{ employee.last_name }}**, né(e) le {{ employee.birth_date }},")
    writer.para("ci-après dénommé(e) « le Salarié »,", align="left")
    writer.para("d'autre part.", align="right")

    writer.heading("Préambule")
    writer.para(
        "Le Salarié est employé par l'Employeur en vertu d'un {{ contract.contract_type_label }} ayant pris "
        "effet le {{ contract.original_start_date }}."
    )
    if edition.since("title_2025"):
        title_paragraph(writer, "le présent avenant")
    writer.para(
        "L'Employeur accueille un ou plusieurs postes de conseiller numérique financés par l'État dans le "
        "cadre du dispositif Conseiller numérique, au titre d'une convention de subvention conclue avec la "
        "Caisse des dépôts et consignations (Banque des Territoires). Un salarié déjà employé en contrat à "
        "durée indéterminée ne peut pas être recruté sur ce poste par un contrat à durée déterminée : il y "
        "est affecté par un avenant à son contrat de travail, qui redéfinit ses fonctions conformément à la "
        "fiche de poste du conseiller numérique."
    )
    writer.para("Le Salarié ayant accepté cette affectation, il est convenu ce qui suit :")

    writer.heading("Article 1 — Fonctions")
    writer.para(
        "À compter de la date d'effet du présent avenant, le Salarié exerce les fonctions de conseiller "
        + (
            "numérique, dont le titre professionnel est, depuis le {{ law.title_since }}, celui de médiateur "
            "numérique. "
            if edition.since("title_2025")
            else "numérique. "
        )
        + "Ces fonctions remplacent celles que définissait jusqu'alors son contrat de travail. À ce "
        "titre, le Salarié :"
    )
    writer.items(
        [
            "accompagne les personnes éloignées du numérique vers l'autonomie dans leurs usages quotidiens : "
            "prise en main d'un équipement informatique, navigation sur internet, gestion des courriels, "
            "usage des applications utiles sur smartphone, démarches administratives en ligne, protection "
            "des données personnelles ;",
            "anime des ateliers numériques collectifs et des accompagnements individuels, gratuits pour le "
            "public, dans les lieux définis par l'Employeur ou en itinérance ;",
            "sensibilise les publics aux enjeux du numérique (vérification des sources, réseaux sociaux, "
            "sécurité en ligne) et les oriente, le cas échéant, vers les structures compétentes ;",
            "renseigne un compte rendu d'activité (CRA) après chaque accompagnement, dans l'outil de suivi "
            "mis à disposition par l'État (La Coop de la médiation numérique) ;",
            "participe à la vie de la communauté professionnelle des conseillers numériques (rencontres "
            "locales et nationales, webinaires, formation continue).",
        ],
        numbered=False,
    )
    paths = (
        "(parcours de {{ law.training_paths_hours }} heures selon son positionnement)"
        if edition.since("coop_2024")
        else "(parcours déterminé par son positionnement)"
    )
    writer.para(
        f"Le Salarié suit la formation initiale du dispositif {paths}, qui commence au plus tard "
        "{{ law.training_entry_delay }} après la signature du présent avenant ; l'Employeur l'y laisse "
        "partir, le temps de formation étant du temps de travail effectif rémunéré comme tel. Le Salarié se "
        "présente à la certification Pix et à l'examen du premier certificat de compétences "
        "professionnelles (CCP1) du titre professionnel au plus tard "
        "{{ law.certification_exams_delay }} après la fin de sa formation initiale, et suit "
        "{{ law.thematic_modules_count }} modules de formation thématiques au plus tard "
        "{{ law.thematic_modules_delay }} après son entrée en formation."
    )
    writer.para(
        "L'Employeur met à la disposition du Salarié les moyens et équipements nécessaires à ses missions : "
        "ordinateur, téléphone portable, espace de travail et, si nécessaire, véhicule. Le Salarié ne peut "
        "pas être affecté comme l'un des deux agents obligatoires d'une maison France Services."
    )

    writer.heading("Article 2 — Lieu de travail, encadrement et classement")
    writer.para("Le Salarié exerce ses fonctions à l'adresse suivante : {{ contract.place_of_work }}.")
    writer.para("Il est placé sous l'autorité de {{ contract.line_manager }}.")
    writer.para("Son classement est le suivant : {{ contract.classification }}.")

    writer.heading("Article 3 — Durée du travail")
    writer.para(
        "Le Salarié est employé à temps plein. La durée hebdomadaire de travail est fixée à "
        "{{ contract.weekly_hours }} heures."
    )

    writer.heading("Article 4 — Rémunération")
    writer.para(
        "En contrepartie de ses fonctions, le Salarié perçoit une rémunération mensuelle brute de "
        "**{{ contract.gross_monthly_salary }}** (**{{ contract.gross_monthly_salary_words }}**) pour un "
        "temps plein."
    )
    writer.para(
        "Cette rémunération n'est jamais inférieure au salaire minimum interprofessionnel de croissance "
        "(SMIC) en vigueur."
    )
    writer.para(
        "Les frais de déplacement du Salarié, pour ses missions comme pour sa formation, sont à la charge de "
        "l'Employeur dans les conditions applicables à son personnel ; la subvention de l'État ne les couvre "
        "pas."
    )
    writer.when(
        'contract.employment_law == "private"',
        "L'Employeur peut en solliciter la prise en charge, pour la formation, auprès de son opérateur de "
        "compétences (OPCO).",
    )

    writer.heading("Article 5 — Fin de la subvention")
    writer.para(
        "La subvention de l'État finance en partie le poste pendant la durée de la convention de subvention. "
        "À son terme, le présent avenant demeure applicable et la rémunération du Salarié est entièrement à "
        "la charge de l'Employeur."
    )

    writer.heading("Article 6 — Date d'effet")
    writer.para("Le présent avenant prend effet le {{ contract.start_date }}.")

    writer.heading("Article 7 — Autres clauses")
    writer.para(
        "Toutes les autres clauses du contrat de travail du Salarié qui ne sont pas contraires au présent "
        "avenant demeurent inchangées ; le Salarié conserve notamment l'ancienneté acquise."
    )

    writer.para("Fait en deux exemplaires originaux, dont un est remis au Salarié.")
    writer.signatures(
        [
            PLACE_AND_DATE + "{{ contract.signed_on }}",
            "**Pour l'Employeur, {{ structure.name }}**",
            "{{ structure.legal_representative }}",
            "Signature et cachet :",
        ],
        [
            PLACE_AND_DATE + "{{ contract.signed_on }}",
            "**Le Salarié, {{ employee.first_name }} {{ employee.last_name }}**",
            "Signature précédée de la mention manuscrite « Lu et approuvé » :",
        ],
    )
    generated_note(writer)
    return writer.to_bytes()

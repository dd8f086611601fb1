"""The employment-contract avenant (`contract_avenant`): a CDI employee moved to the advisor post."""

from __future__ import annotations

from conventions.domain.documents import Edition
from conventions.templates.build.passages import (
    PLACE_AND_DATE,
    generated_note,
)
from conventions.templates.build.writer import TemplateWriter


def build_contract_avenant(edition: Edition) -> bytes:
    writer = TemplateWriter(
        edition=edition,
        title="Avenant au contrat de travail — conseiller numérique",
        subject="Affectation d'un salarié en CDI sur un poste de conseiller numérique (médiateur numérique)",
        header="Avenant au contrat de travail — réf. {{ document.reference }}",
        footer="Avenant au contrat de travail de {{ employee.first_name }} {{ employee.last_name }}",
    )
    writer.title(
        "Avenant au contrat de travail",
        "Affectation sur un poste de conseiller numérique (médiateur numérique)",
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
            "numérique, dont le titre professionnel est, depuis le 13 juillet 2025, celui de médiateur "
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
    writer.para(
        "Le Salarié suit la formation initiale du dispositif (parcours de 70, 175 ou 315 heures selon son "
        "positionnement), qui commence au plus tard quinze jours après la signature du présent avenant ; "
        "l'Employeur l'y laisse partir, le temps de formation étant du temps de travail effectif rémunéré "
        "comme tel. Le Salarié se présente à la certification Pix et à l'examen du premier certificat de "
        "compétences professionnelles (CCP1) du titre professionnel de médiateur numérique dans les six "
        "mois suivant la fin de sa formation initiale, et suit deux modules de formation thématiques dans "
        "l'année suivant son entrée en formation."
    )
    writer.para(
        "L'Employeur met à la disposition du Salarié les moyens et équipements nécessaires à ses missions : "
        "ordinateur, téléphone portable, espace de travail et, si nécessaire, véhicule. Le Salarié ne peut "
        "pas être affecté comme l'un des deux agents obligatoires d'une maison France Services."
    )

    writer.heading("Article 2 — Durée du travail")
    writer.para(
        "Le Salarié est employé à temps plein. La durée hebdomadaire de travail est fixée à "
        "{{ contract.weekly_hours }} heures."
    )

    writer.heading("Article 3 — Rémunération")
    writer.para(
        "En contrepartie de ses fonctions, le Salarié perçoit une rémunération mensuelle brute de "
        "**{{ contract.gross_monthly_salary }}** (**{{ contract.gross_monthly_salary_words }}**) pour un "
        "temps plein."
    )
    writer.para(
        "Cette rémunération ne peut être inférieure au salaire minimum interprofessionnel de croissance "
        "(SMIC) en vigueur ; elle est relevée à due concurrence à chaque revalorisation du SMIC."
    )

    writer.heading("Article 4 — Date d'effet")
    writer.para("Le présent avenant prend effet le {{ contract.start_date }}.")

    writer.heading("Article 5 — Autres clauses")
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

"""The subsidy convention (`convention`), one text per edition of the law."""

from __future__ import annotations

from conventions.domain.documents import Edition
from conventions.templates.build.passages import (
    AGENCY,
    AGENCY_SIGNATORY,
    PLACE_AND_DATE,
    agency_block,
    clawback_rule,
    convention_parties,
    generated_note,
    structure_block,
)
from conventions.templates.build.writer import TemplateWriter


def build_convention(edition: Edition) -> bytes:
    writer = TemplateWriter(
        edition=edition,
        title="Convention de subvention — dispositif Conseiller numérique",
        subject="Subvention de l'État pour des postes de conseiller numérique (médiateur numérique)",
        header="Convention n° {{ convention.reference }}",
        footer="Convention de subvention Conseiller numérique n° {{ convention.reference }}",
    )
    writer.title(
        "Convention de subvention — dispositif Conseiller numérique",
        "Convention n° {{ convention.reference }}",
        "{{ convention.wave_label }}",
    )
    convention_parties(writer)

    writer.heading("Préambule")
    writer.para(
        "Dans le cadre du plan France Relance, l'État finance le recrutement, la formation et le déploiement "
        "de conseillers numériques chargés d'accompagner les personnes éloignées du numérique vers "
        "l'autonomie dans leurs usages quotidiens. Le dispositif est piloté par l'Agence nationale de la "
        "cohésion des territoires (ANCT). La loi de finances pour 2021 permet à la Caisse des Dépôts de "
        "gérer les fonds correspondants et de verser les subventions pour le compte de l'État."
    )
    if edition.since("title_2025"):
        writer.para(
            "Depuis le 13 juillet 2025, le titre professionnel des conseillers numériques est celui de "
            "« médiateur numérique ». Dans la présente convention, les termes « conseiller numérique » et "
            "« médiateur numérique » désignent la même fonction."
        )
    writer.para(
        "Après avis du préfet de département, le comité de sélection national présidé par l'ANCT a attribué "
        "au Bénéficiaire {{ convention.posts_text }} de conseiller numérique. Le Bénéficiaire, qui a pris "
        "connaissance des engagements attachés au dispositif, a sollicité la subvention objet de la présente "
        "convention."
    )
    writer.para("Il est convenu ce qui suit :")

    writer.heading("Article 1 — Objet")
    writer.para(
        "La présente convention fixe les conditions dans lesquelles la Caisse des Dépôts, agissant pour le "
        "compte de l'État, attribue au Bénéficiaire une subvention destinée à financer en partie la "
        "rémunération de {{ convention.posts_text }} de conseiller numérique (médiateur numérique), ainsi "
        "que les engagements que le Bénéficiaire prend en contrepartie."
    )
    writer.para(
        "Le conseiller numérique accompagne les publics vers l'autonomie numérique : prise en main d'un "
        "équipement informatique, navigation sur internet, gestion des courriels, usage des applications "
        "utiles sur smartphone, démarches administratives en ligne, protection des données personnelles. Il "
        "anime des ateliers collectifs et des accompagnements individuels."
    )
    writer.para(
        "La subvention est exclusivement affectée à la rémunération des conseillers numériques recrutés sur "
        "ces postes ; elle ne peut financer aucune autre dépense."
    )

    writer.heading("Article 2 — Durée")
    writer.para(
        "La présente convention prend effet le {{ convention.start_date }} et prend fin le "
        "{{ convention.end_date }}, soit une durée de {{ convention.duration_months }} mois."
    )
    writer.para(
        "La subvention finance, pour chaque poste, {{ convention.funded_months }} mois de rémunération d'un "
        "conseiller numérique employé à temps plein."
    )
    writer.para(
        "Les obligations de justification et, le cas échéant, de reversement prévues à l'article 6 "
        "demeurent applicables après le terme de la convention, jusqu'à la clôture du dossier."
    )

    writer.heading("Article 3 — Montant de la subvention")
    writer.para(
        "Le montant de la subvention est fixé à {{ convention.amount_per_post }} "
        "({{ convention.amount_per_post_words }}) par poste.{{ convention.renewal_bonus_sentence }}"
    )
    writer.para(
        "Le montant total de la subvention s'élève à **{{ convention.total_amount }}** "
        "(**{{ convention.total_amount_words }}**) pour {{ convention.posts_text }}."
    )
    writer.para(
        "Ce montant forfaitaire est calculé sur la base d'une rémunération au moins égale au salaire minimum "
        "interprofessionnel de croissance (SMIC), à temps plein. Il ne couvre ni les frais de déplacement et "
        "de restauration du conseiller, ni les équipements mis à sa disposition, qui restent à la charge du "
        "Bénéficiaire. Le Bénéficiaire peut compléter la rémunération du conseiller et rechercher des "
        "cofinancements."
    )

    writer.heading("Article 4 — Modalités de versement")
    writer.para("La subvention est versée en plusieurs tranches, selon l'échéancier suivant :")
    writer.tranches_table(total="{{ convention.total_amount }}")
    writer.para(
        "La première tranche est versée à la signature de la présente convention par les deux Parties. "
        "Chaque tranche suivante est versée à compter de son échéance, sous réserve que le Bénéficiaire soit "
        "à jour des obligations prévues à l'article 5 et que chaque conseiller en poste soit rémunéré au "
        "moins au niveau du SMIC en vigueur à la date du versement. La Caisse des Dépôts peut suspendre un "
        "versement tant qu'une obligation échue n'est pas remplie."
    )
    writer.para(
        "Les versements sont effectués par virement sur le compte bancaire du Bénéficiaire désigné en "
        "annexe. Tout changement de coordonnées bancaires est notifié à la Caisse des Dépôts, accompagné "
        "d'un relevé d'identité bancaire ; il ne prend effet qu'après sa vérification par la Caisse des "
        "Dépôts."
    )

    writer.heading("Article 5 — Obligations du Bénéficiaire")
    writer.para("En contrepartie de la subvention, le Bénéficiaire s'engage à :")
    writer.items(
        [
            "rémunérer chaque conseiller numérique à temps plein (35 heures hebdomadaires), pour un salaire "
            "brut au moins égal au SMIC en vigueur, pendant toute la durée de son contrat, et relever ce "
            "salaire à chaque revalorisation du SMIC ;",
            "sélectionner un candidat dans un délai d'un mois suivant sa présentation sur la plateforme du "
            "dispositif, puis signer avec lui un contrat de travail dans les quinze jours suivant cette "
            "sélection ; une personne déjà employée par le Bénéficiaire en contrat à durée indéterminée "
            "rejoint le poste par un avenant à son contrat de travail, et non par un contrat à durée "
            "déterminée ;",
            "laisser partir le conseiller en formation initiale (parcours de 70, 175 ou 315 heures selon son "
            "positionnement), l'entrée en formation intervenant au plus tard quinze jours après la signature "
            "du contrat de travail, et veiller à son assiduité ;",
            "permettre au conseiller de se présenter à la certification Pix et à l'examen du premier "
            "certificat de compétences professionnelles (CCP1) du titre professionnel de médiateur numérique "
            "dans les six mois suivant la fin de sa formation initiale ;",
            "permettre au conseiller de suivre deux modules de formation thématiques de 7 ou 14 heures dans "
            "l'année suivant son entrée en formation initiale, ainsi que la formation continue proposée par "
            "le dispositif ;",
            "mettre à la disposition du conseiller les moyens et équipements nécessaires à sa mission : "
            "ordinateur, téléphone portable, espace de travail et, si nécessaire, véhicule ;",
            "veiller à ce que le conseiller renseigne un compte rendu d'activité (CRA) après chaque "
            "accompagnement, dans l'outil de suivi mis à disposition par l'État (La Coop de la médiation "
            "numérique), et répondre de la fiabilité des informations transmises ;",
            "assurer la gratuité, pour le public, des activités menées par le conseiller (ateliers "
            "numériques, initiations, accompagnements individuels) ;",
            "permettre au conseiller de consacrer une partie de son temps à la vie de la communauté "
            "professionnelle (rencontres locales et nationales, webinaires, échanges de pratiques) ;",
            "ne pas affecter le conseiller comme l'un des deux agents obligatoires d'une maison France "
            "Services ;",
            "informer sans délai la Caisse des Dépôts de la fin du contrat d'un conseiller et pourvoir le "
            "poste devenu vacant dans un délai de six mois ; à défaut, le poste est restitué et la présente "
            "convention est modifiée par avenant ;",
            "justifier de l'emploi de la subvention au plus tard trois mois après le terme de la présente "
            "convention, dans les conditions de l'article 6 ;",
            "informer la Caisse des Dépôts de toute modification de sa situation juridique, de ses statuts, "
            "de son représentant légal ou de ses coordonnées bancaires.",
        ]
    )

    writer.heading("Article 6 — Justification de l'emploi de la subvention et reversement")
    writer.para(
        "À l'issue de la convention, le Bénéficiaire transmet à la Caisse des Dépôts un état récapitulatif, "
        "certifié par son représentant légal ou, pour une personne publique, par son comptable public, des "
        "rémunérations versées à chaque conseiller numérique sur la période financée, accompagné des "
        "contrats de travail et de tout justificatif demandé."
    )
    writer.para(
        "Les sommes déjà versées dont le Bénéficiaire ne pourrait pas justifier de l'utilisation "
        "conformément à la présente convention sont reversées à la Caisse des Dépôts."
    )
    clawback_rule(writer)
    writer.para(
        "En cas de fin du contrat d'un conseiller, le reversement correspondant n'est exigé qu'à "
        "l'expiration du délai de remplacement prévu à l'article 5 (11°) ; le recrutement d'un nouveau "
        "conseiller dans ce délai y met fin. Le reversement intervient dans les trente jours suivant la "
        "demande de la Caisse "
        "des Dépôts."
    )

    writer.heading("Article 7 — Résiliation")
    writer.para(
        "En cas de manquement du Bénéficiaire à l'une de ses obligations, la Caisse des Dépôts peut, après "
        "une mise en demeure adressée par lettre recommandée avec accusé de réception et restée sans effet "
        "pendant trente jours calendaires, suspendre les versements, modifier la présente convention ou la "
        "résilier de plein droit."
    )
    writer.para(
        "Le Bénéficiaire peut demander la résiliation de la présente convention, ou la restitution d'une "
        "partie des postes, par lettre recommandée avec accusé de réception adressée à la Caisse des "
        "Dépôts ; la restitution d'une partie des postes donne lieu à un avenant."
    )
    writer.para(
        "La résiliation emporte l'annulation des tranches non encore versées. La subvention est alors "
        "arrêtée au vu des dépenses justifiées, et les sommes indûment perçues sont reversées dans les "
        "conditions de l'article 6."
    )

    writer.heading("Article 8 — Données personnelles")
    writer.para(
        "Les données à caractère personnel recueillies pour l'exécution de la présente convention (identité "
        "et coordonnées des représentants du Bénéficiaire et des conseillers, éléments de leur contrat de "
        "travail) sont traitées par la Caisse des Dépôts, pour le compte de l'État, aux seules fins "
        "d'instruire, de verser et de contrôler la subvention et de suivre le dispositif, dans le respect du "
        "règlement (UE) 2016/679 du 27 avril 2016 (RGPD) et de la loi n° 78-17 du 6 janvier 1978 relative à "
        "l'informatique, aux fichiers et aux libertés. Elles sont conservées pendant la durée de la "
        "convention, puis archivées pendant la durée de prescription applicable à compter de sa clôture. "
        "Les personnes concernées disposent d'un droit d'accès, de rectification, de limitation et "
        "d'opposition, qu'elles exercent auprès du délégué à la protection des données de la Caisse des "
        "Dépôts. Le Bénéficiaire informe les conseillers de ce traitement."
    )

    writer.heading("Article 9 — Modification et règlement des litiges")
    writer.para(
        "Toute modification de la présente convention fait l'objet d'un avenant écrit, daté et signé par les "
        "Parties. Les Parties s'efforcent de régler à l'amiable tout différend relatif à l'interprétation ou "
        "à l'exécution de la présente convention ; à défaut d'accord, le litige est porté devant la "
        "juridiction compétente."
    )

    writer.para("Fait en deux exemplaires originaux.")
    writer.signatures(
        agency_block("{{ convention.signed_on }}"), structure_block("{{ convention.signed_on }}")
    )

    writer.page_break()
    writer.heading("Annexe — Coordonnées bancaires du Bénéficiaire")
    writer.para(
        "Titulaire du compte : {{ structure.name }} — IBAN : {{ structure.iban }} — "
        "BIC : {{ structure.bic }}",
        align="left",
    )
    writer.para(
        "Les versements de la subvention sont effectués sur ce compte. Le relevé d'identité bancaire "
        "correspondant est joint à la présente convention.",
    )
    generated_note(writer)
    return writer.to_bytes()


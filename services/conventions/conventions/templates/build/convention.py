"""The subsidy convention (`convention`), one text per edition of the law.

Every figure of the law (delays, hours, amounts, rates, the dates of legal changes) is a placeholder of
`law`, `convention`, `tranches` or `funding_periods`, read from the dated parameters on the document's
legal date. What changes with the edition: the 2024 training paths and La Coop (`coop_2024`), the post
given back after the refill delay (`refill_2025`), the « médiateur numérique » title (`title_2025`). What
changes with the case, by `{%p if %}`: the wave (France Relance or renewal), an association or a
foundation (contrat d'engagement républicain), a private body (compte rendu financier), an association of
the local law of Alsace-Moselle.
"""

from __future__ import annotations

from conventions.domain.documents import Edition
from conventions.templates.build.passages import (
    agency_block,
    clawback_rule,
    convention_parties,
    generated_note,
    personal_data,
    structure_block,
    title_paragraph,
)
from conventions.templates.build.writer import TemplateWriter

RENEWAL = 'convention.wave == "renewal"'
INITIAL = 'convention.wave == "initial"'


def build_convention(edition: Edition) -> bytes:
    writer = TemplateWriter(
        edition=edition,
        title="Convention de subvention — dispositif Conseiller numérique",
        subject="Subvention de l'État pour des postes de conseiller numérique",
        header="Convention n° {{ convention.reference }}",
        footer="Convention de subvention Conseiller numérique n° {{ convention.reference }}",
    )
    writer.title(
        "Convention de subvention — dispositif Conseiller numérique",
        "Convention n° {{ convention.reference }}",
        "{{ convention.wave_label }}",
    )
    convention_parties(writer)

    writer.heading("Visas")
    writer.when(
        INITIAL,
        "Vu la loi n° 2020-1721 du 29 décembre 2020 de finances pour 2021, qui ouvre les crédits du plan "
        "France Relance et permet à la Caisse des Dépôts de gérer, pour le compte de l'État, les fonds "
        "destinés au dispositif Conseiller numérique et d'en verser les subventions ;",
    )
    writer.when(
        RENEWAL,
        "Vu la loi de finances de l'année, qui ouvre les crédits de la politique d'inclusion numérique "
        "(programme « Aménagement du territoire » puis « Économie et numérique ») dont relève le "
        "renouvellement des postes de conseiller numérique ;",
    )
    writer.para(
        "Vu la convention conclue entre l'État, la Caisse des Dépôts et l'Agence nationale de la cohésion "
        "des territoires (ANCT), qui confie à la Caisse des Dépôts la gestion des subventions du dispositif "
        "Conseiller numérique pour le compte de l'État, et ses avenants ;"
    )
    writer.para(
        "Vu la circulaire interministérielle du 21 janvier 2021 relative au déploiement des conseillers "
        "numériques (NOR TERB2102382J) ;"
    )
    writer.para(
        "Vu la décision du comité de sélection national présidé par l'ANCT, après avis du préfet de "
        "département, attribuant au Bénéficiaire {{ convention.posts_text }} de conseiller numérique ;"
    )

    writer.heading("Préambule")
    writer.when(
        INITIAL,
        "Dans le cadre du plan France Relance, l'État finance le recrutement, la formation et le "
        "déploiement de conseillers numériques chargés d'accompagner les personnes éloignées du numérique "
        "vers l'autonomie dans leurs usages quotidiens. Le dispositif est piloté par l'ANCT ; la Caisse des "
        "Dépôts en gère les fonds et verse les subventions pour le compte de l'État.",
    )
    writer.when(
        RENEWAL,
        "L'État poursuit le financement des postes de conseiller numérique au-delà des premières "
        "conventions du dispositif. La présente convention de renouvellement permet au Bénéficiaire de "
        "conserver ses postes, avec un soutien dégressif d'une année de convention à l'autre. Le dispositif "
        "est piloté par l'ANCT ; la Caisse des Dépôts en gère les fonds et verse les subventions pour le "
        "compte de l'État.",
    )
    if edition.since("title_2025"):
        title_paragraph(writer, "la présente convention")
    writer.para(
        "Le Bénéficiaire, qui a pris connaissance des engagements attachés au dispositif, a sollicité la "
        "subvention objet de la présente convention."
    )
    writer.para("Il est convenu ce qui suit :")

    writer.heading("Article 1 — Objet")
    writer.para(
        "La présente convention fixe les conditions dans lesquelles la Caisse des Dépôts, agissant pour le "
        "compte de l'État, attribue au Bénéficiaire une subvention destinée à financer en partie la "
        "rémunération de {{ convention.posts_text }} de conseiller numérique"
        + (" (médiateur numérique)" if edition.since("title_2025") else "")
        + ", ainsi "
        "que les engagements que le Bénéficiaire prend en contrepartie."
    )
    writer.para("Le conseiller numérique exerce les trois missions prioritaires du dispositif :")
    writer.items(
        [
            "soutenir les personnes dans leurs usages quotidiens du numérique : prise en main d'un "
            "équipement informatique, navigation sur internet, gestion des courriels, usage des "
            "applications utiles sur smartphone ;",
            "les sensibiliser aux enjeux du numérique et favoriser des usages citoyens et critiques : "
            "vérification des sources, protection des données personnelles, maîtrise des réseaux sociaux ;",
            "les rendre autonomes pour réaliser seules leurs démarches administratives en ligne.",
        ]
    )
    writer.para(
        "Il anime à cette fin des ateliers collectifs et des accompagnements individuels. La subvention est "
        "exclusivement affectée à la rémunération des conseillers numériques recrutés sur ces postes ; "
        "elle ne peut financer aucune autre dépense."
    )

    writer.heading("Article 2 — Durée")
    writer.para(
        "La présente convention prend effet le {{ convention.start_date }} et prend fin le "
        "{{ convention.end_date }}, soit une durée de {{ convention.duration_months }} mois. La subvention "
        "finance, pour chaque poste, {{ convention.funded_months }} mois de rémunération d'un conseiller "
        "numérique employé à temps plein."
    )
    writer.para(
        "Les obligations de justification, de contrôle et, le cas échéant, de reversement demeurent "
        "applicables après le terme de la convention, jusqu'à la clôture du dossier."
    )

    writer.heading("Article 3 — Montant de la subvention")
    writer.para(
        "Le montant de la subvention est fixé à {{ convention.amount_per_post }} "
        "({{ convention.amount_per_post_words }}) par poste.{{ convention.renewal_bonus_sentence }}"
    )
    writer.when(
        RENEWAL,
        "Par poste, la subvention s'élève à {{ convention.yearly_amounts_text }}.",
    )
    writer.para(
        "Le montant total de la subvention s'élève à **{{ convention.total_amount }}** "
        "(**{{ convention.total_amount_words }}**) pour {{ convention.posts_text }}."
    )
    writer.para(
        "Ce montant forfaitaire suppose une rémunération à temps plein jamais inférieure au salaire minimum "
        "interprofessionnel de croissance (SMIC) en vigueur. Il ne couvre ni les frais de déplacement et "
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
        "à jour des obligations prévues à l'article 5 et que la rémunération de chaque conseiller en poste "
        "ne soit pas inférieure au SMIC en vigueur à la date du versement. La Caisse des Dépôts peut "
        "suspendre un versement tant qu'une obligation échue n'est pas remplie."
    )
    writer.para(
        "Les versements sont effectués par virement sur le compte bancaire du Bénéficiaire désigné en "
        "annexe. Tout changement de coordonnées bancaires est notifié à la Caisse des Dépôts, accompagné "
        "d'un relevé d'identité bancaire ; il ne prend effet qu'après sa vérification par la Caisse des "
        "Dépôts."
    )

    writer.heading("Article 5 — Obligations du Bénéficiaire")
    writer.para("En contrepartie de la subvention, le Bénéficiaire s'engage à :")
    obligations = [
        "recruter au plus vite, à compter de la notification de l'attribution des postes, un conseiller "
        "sur chaque poste, un candidat étant présenté sur chaque poste au plus tard "
        "{{ law.candidate_presentation_delay }} après la signature de la présente convention ;",
        "sélectionner un candidat au plus tard {{ law.candidate_selection_delay }} après sa "
        "présentation sur la plateforme du dispositif, prendre contact avec l'un des organismes de "
        "formation du dispositif avant la signature du contrat de travail, puis signer ce contrat au plus "
        "tard {{ law.contract_signature_delay }} après la sélection ; une personne déjà employée par "
        "le Bénéficiaire en contrat à durée indéterminée rejoint le poste par un avenant à son contrat de "
        "travail, et non par un contrat à durée déterminée ;",
        "rémunérer chaque conseiller à temps plein ({{ law.weekly_hours }} heures hebdomadaires), pour un "
        "salaire brut jamais inférieur au SMIC en vigueur, pendant toute la durée de son contrat ;",
    ]
    if edition.since("coop_2024"):
        obligations.append(
            "laisser partir le conseiller en formation initiale (parcours de {{ law.training_paths_hours }} "
            "heures selon son positionnement), l'entrée en formation intervenant au plus tard "
            "{{ law.training_entry_delay }} après la signature du contrat de travail, et veiller à son "
            "assiduité ;"
        )
    else:
        obligations.append(
            "laisser partir le conseiller en formation initiale, selon le parcours que son positionnement "
            "détermine, l'entrée en formation intervenant au plus tard {{ law.training_entry_delay }} après "
            "la signature du contrat de travail, et veiller à son assiduité ;"
        )
    obligations += [
        "permettre au conseiller de se présenter à la certification Pix et à l'examen du premier "
        "certificat de compétences professionnelles (CCP1) du titre professionnel au plus tard "
        "{{ law.certification_exams_delay }} après la fin de sa formation initiale ;",
        "permettre au conseiller de suivre {{ law.thematic_modules_count }} modules de formation "
        "thématiques de {{ law.thematic_modules_hours }} heures au plus tard "
        "{{ law.thematic_modules_delay }} après son entrée en formation initiale, ainsi que la formation "
        "continue proposée par le dispositif ;",
        "mettre à la disposition du conseiller, {{ law.equipment_due }}, les moyens et équipements "
        "nécessaires à sa mission : ordinateur, téléphone portable, espace de travail et, si nécessaire, "
        "véhicule ;",
    ]
    if edition.since("coop_2024"):
        obligations.append(
            "veiller à ce que le conseiller renseigne un compte rendu d'activité après chaque "
            "accompagnement, dans l'outil de suivi de La Coop de la médiation numérique, et répondre de la "
            "fiabilité des informations transmises ;"
        )
    else:
        obligations.append(
            "veiller à ce que le conseiller renseigne un compte rendu d'activité après chaque "
            "accompagnement, dans l'outil de suivi mis à disposition par l'État, et répondre de la fiabilité "
            "des informations transmises ;"
        )
    obligations += [
        "assurer la gratuité, pour le public, des activités menées par le conseiller ;",
        "permettre au conseiller de consacrer une partie de son temps à la vie de la communauté "
        "professionnelle (rencontres locales et nationales, webinaires, échanges de pratiques) ;",
        "ne pas affecter le conseiller comme l'un des deux agents obligatoires d'une maison France "
        "Services ;",
    ]
    if edition.since("refill_2025"):
        obligations.append(
            "informer sans délai la Caisse des Dépôts de la fin du contrat d'un conseiller et pourvoir le "
            "poste devenu vacant au plus tard {{ law.post_refill_delay }} après cette fin de "
            "contrat ; à défaut, le poste est restitué à l'État et la présente convention est modifiée par "
            "avenant ;"
        )
    else:
        obligations.append(
            "informer sans délai la Caisse des Dépôts de la fin du contrat d'un conseiller et recruter un "
            "remplaçant au plus tard {{ law.post_refill_delay }} après cette fin de contrat ;"
        )
    obligations += [
        "justifier de l'emploi de la subvention au plus tard {{ law.final_report_delay }} après le "
        "terme de la présente convention, dans les conditions de l'article 6 ;",
        "informer la Caisse des Dépôts de toute modification de sa situation juridique, de ses statuts, "
        "de son représentant légal ou de ses coordonnées bancaires.",
    ]
    writer.items(obligations, numbered=False)
    writer.tag('{%p if structure.kind == "private" %}')
    writer.para(
        "Organisme de droit privé bénéficiaire d'une subvention affectée, le Bénéficiaire produit un compte "
        "rendu financier attestant la conformité des dépenses effectuées à l'objet de la subvention, "
        "conformément à l'article 10 de la loi n° 2000-321 du 12 avril 2000 ; il le dépose auprès de la "
        "Caisse des Dépôts au plus tard {{ law.financial_report_delay }} après la fin de chaque "
        "exercice au titre duquel la subvention a été versée."
    )
    writer.tag("{%p endif %}")
    writer.tag("{%p if structure.association_or_foundation and law.republican_commitment %}")
    writer.para(
        "Association ou fondation, le Bénéficiaire a souscrit le contrat d'engagement républicain prévu à "
        "l'article 10-1 de la loi n° 2000-321 du 12 avril 2000. Lorsque l'objet qu'il poursuit, son activité "
        "ou les modalités selon lesquelles elle est conduite sont illicites ou incompatibles avec ce "
        "contrat, la Caisse des Dépôts procède au retrait de la subvention et exige la restitution des "
        "sommes versées au prorata de la période restant à courir."
    )
    writer.tag("{%p endif %}")

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
        "l'expiration du délai de remplacement prévu à l'article 5 ; le recrutement d'un nouveau conseiller "
        "dans ce délai y met fin. Le reversement intervient au plus tard {{ law.repayment_delay }} "
        "après la demande de la Caisse des Dépôts."
    )

    writer.heading("Article 7 — Communication")
    writer.para(
        "Le Bénéficiaire fait état du soutien de l'État dans toute communication relative aux postes "
        "financés, en apposant les logos de l'État, de l'ANCT et du dispositif Conseiller numérique selon la "
        "charte graphique qui lui est communiquée. Le conseiller se présente au public comme conseiller "
        "numérique du dispositif."
    )

    writer.heading("Article 8 — Contrôle et conservation des pièces")
    writer.para(
        "Le Bénéficiaire se prête à tout contrôle, sur pièces ou sur place, de la Caisse des Dépôts, de "
        "l'ANCT ou de tout organe de contrôle de l'État, sur l'emploi de la subvention et le respect de ses "
        "engagements. Il tient à leur disposition les contrats de travail, bulletins de paie et pièces "
        "comptables relatifs aux postes financés, et les conserve jusqu'à l'expiration des délais de "
        "contrôle et de prescription applicables."
    )

    writer.heading("Article 9 — Résiliation")
    writer.para(
        "En cas de manquement du Bénéficiaire à l'une de ses obligations, la Caisse des Dépôts peut, après "
        "une mise en demeure adressée par lettre recommandée avec accusé de réception et restée sans effet "
        "pendant {{ law.termination_notice }}, suspendre les versements, modifier la présente "
        "convention ou la résilier de plein droit."
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

    writer.heading("Article 10 — Force majeure")
    writer.para(
        "Aucune Partie n'est responsable de l'inexécution de ses obligations due à un cas de force majeure "
        "au sens de l'article 1218 du code civil. La Partie empêchée en informe l'autre sans délai. Si "
        "l'empêchement excède {{ law.force_majeure_delay }}, chaque Partie peut résilier la présente "
        "convention par lettre recommandée avec accusé de réception ; la subvention est alors arrêtée dans "
        "les conditions de l'article 9."
    )

    writer.heading("Article 11 — Incessibilité et conflits d'intérêts")
    writer.para(
        "La présente convention est conclue en considération de la personne du Bénéficiaire : il ne peut "
        "céder ni transférer à un tiers les droits et obligations qu'il en tient, ni la subvention."
    )
    writer.para(
        "Le Bénéficiaire prend toute mesure pour prévenir les conflits d'intérêts dans le recrutement et la "
        "rémunération des conseillers ; il informe sans délai la Caisse des Dépôts de toute situation "
        "susceptible d'en créer un."
    )

    writer.heading("Article 12 — Données personnelles")
    personal_data(writer)

    writer.heading("Article 13 — Modification et règlement des litiges")
    writer.para(
        "Toute modification de la présente convention fait l'objet d'un avenant écrit, daté et signé par les "
        "Parties. Les Parties s'efforcent de régler à l'amiable tout différend relatif à l'interprétation ou "
        "à l'exécution de la présente convention ; à défaut d'accord, le litige est porté devant le tribunal "
        "administratif compétent."
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

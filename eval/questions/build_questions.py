"""Source of the labelled question set: writes queries.jsonl, qrels/test.tsv and cases.tsv.

Every information need ("need") is written once, with its questions (usually one Danish and one
English phrasing) and its graded relevance judgments on cases:

    2 = the case answers the question,
    1 = the case is useful background for it.

Cases not listed are judged not relevant. Run from the repository root:

    python eval/questions/build_questions.py

The output is deterministic; the files it writes are committed next to this script.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from casesearch.ingest.ids import case_id

HERE = Path(__file__).resolve().parent

# Case titles exactly as they appear in the default corpus (corpus/), with the case language.
ENGLISH_CASES = [
    "Partnerskabet, URBAN PLANEN",
    "Co-creation Pilots and New Communities",
    "One citizen, One plan – Guldborgsund, Denmark",
]
# The headings of "Inspiration til praksis" (Center for Borgerdialog), in page order.
DANISH_CASES = [
    "Demokratisér byudviklingen!",
    "Erfaringer og metoder fra De små børns Bornholm",
    "Klimaborgerting – tendenser, udfordringer og muligheder",
    "System innovation – en guide",
    "Politiske ledere og komplekse udfordringer",
    "Collective intelligence giver klimahandling",
    "Inddragelse af unge – i et kritisk lys",
    "Kapitalværksteder: Penge som påskud",
    "Samskabelse af naturbaserede affaldsløsninger – hvad kan vi lære?",
    "Inspiration til lokalt klimaengagement",
    "Værktøjer til at forny den politiske arbejdsform",
    "Hvem Hvad Hvor om klimaborgersamlinger",
    "Kunst, kultur og kreativitet som løftestang",
    "Citizen science – hvorfor og hvordan?",
    "Hvad gemmer sig bag Bolognas ‘kontor for borgerfantasi’?",
    "-Borgernes stemmer kan ikke stå alene",
    "Borgersamlinger – på svensk",
    "At arbejde med systemforandringer – erfaringer og metoder",
    "Digital borgerdialog om grøn omstilling",
    "Lærerige erfaringer med relationel velfærd",
    "Er en borgersamling svaret?",
    "Frisættelse af velfærd – midtvejsevaluering",
    "Corona-partnerskaber – hvad kan vi lære?",
    "Inspiration til socialt arbejde i udsatte bydele",
    "Her kan jeg være den jeg er – sammen med andre",
    "Erfaringer fra et svært ungdomsliv",
    "Deltagelse giver håb",
    "Systemforandringer gennem collective impact – eksempelsamling",
    "Gode råd til klimalederskab",
    "Guidelines for borgerinddragelse",
    "Håndbog: Sådan kan I arbejde med sundhed og trivsel i lokalsamfund",
    "Inspiration til at udvikle lokalsamfund",
    "Hvordan involvere borgerne i den grønne omstilling?",
    "Backcasting som metode til at forme fremtiden",
    "Værktøjer til at involvere unge i byudvikling",
    "En guide til digital inddragelse",
    "Klimahandling i fællesskab",
    "Grøn omstilling skal samskabes!",
    "Erfaringer med en holistisk tilgang til sundhed",
    "En bedre start – gennem lokale partnerskaber",
    "Samskabelse – hvordan?",
    "Samskabelse kræver systematik og et strategisk fundament",
    "Deltagelse som en vej til forandring for socialt udsatte borgere",
    "Hør godt efter!",
    "Vi skal mødes om de reelle problemer!",
    "Bliv ved med at prøve: Et fejlslagent forsøg på samskabelse kan give grobund for et vellykket",
    "Bæredygtighed er en guldgrube!",
    "Det grønne engagement forandrer sig",
    "Samskabelse forstået som ‘collective intelligence’",
    "Guide til rollespil og forumteater",
    "Hvordan kan man involvere og samskabe med unge?",
    "Samskabelse – trin for trin",
    "Inspiration til udvikling i udsatte boligområder",
    "Samskabelse sker ikke bare af sig selv",
    "Inspiration til innovation",
    "Hvordan engagere unge?",
    "Fif til at lede samskabelse",
    "Hvad kan vi lære af Sverige?",
    "Demokratiresan – svensk podcast om borgerdialog",
    "Demokratisk innovation: Vores stemmer",
    "Aarhus: Samskabelse i det grønne",
    "‘Sårbare’ borgere vil ikke være en målgruppe",
    "Social forandring – nedefra",
    "Stedsans – samskabelse gennem omverdensinddragelse",
    "Dialog om komplekse samfundsspørgsmål",
    "Svære at nå – eller nemme at overse?",
    "Viden om samskabelse – fra Norge",
    "Samarbejde er ikke en ønskebrønd!",
    "Facilitering er nøglen",
    "Netværk kan give mod på samskabelse",
    "Digegrupper i Slagelse",
    "Dialog ved konflikter – ti skridt",
    "Dialogguiden – en guide til borgerinddragelse",
    "Guide til dialog med unge",
    "At inddrage unge i landdistrikterne",
    "At tegne Vollsmose med fødderne",
    "Børn og byudvikling",
    "IT værktøjer til borgerinddragelse",
    "Borgerinddragelse som led i styringen",
    "Borgerne på banen – metoder til borgerinddragelse",
    "Samskabelse – med fokus på resultater",
    "Brugere og patienter som medskabere",
    "Hvordan kan vi måle borgerinddragelse?",
    "Borgerdialog – under overfladen",
    "Passionen skal drive værket!",
    "Samskabelse er politisk!",
    "Vi lader de fagprofessionelle i stikken!",
]

# Short names used below for the three English cases.
URBAN_PLANEN = "partnerskabet-urban-planen"
FREDERIKSBERG = "co-creation-pilots-and-new-communities"
GULDBORGSUND = "one-citizen-one-plan-guldborgsund-denmark"

# Each need: id, questions as (lang, text), judgments {case id: grade}.
NEEDS: list[dict] = [
    {
        "need": "n01",
        "q": [
            ("da", "hvordan inddrager man ledige beboere i affaldshåndtering"),
            ("en", "how to involve unemployed residents in waste work"),
            ("da", "affaldsguider ledige"),
        ],
        "rel": {
            URBAN_PLANEN: 2,
            "baeredygtighed-er-en-guldgrube": 1,
            "samskabelse-af-naturbaserede-affaldsloesninger-hvad-kan-vi-laere": 1,
        },
    },
    {
        "need": "n02",
        "q": [
            ("da", "hvordan inddrager man unge i byudvikling?"),
            ("en", "how do we get young people involved in developing their city?"),
            ("en", "youth participation in urban planning - any tools?"),
        ],
        "rel": {
            "vaerktoejer-til-at-involvere-unge-i-byudvikling": 2,
            "inddragelse-af-unge-i-et-kritisk-lys": 2,
            "at-tegne-vollsmose-med-foedderne": 2,
            "at-inddrage-unge-i-landdistrikterne": 2,
            "hvordan-kan-man-involvere-og-samskabe-med-unge": 1,
            "guide-til-dialog-med-unge": 1,
            "boern-og-byudvikling": 1,
            GULDBORGSUND: 1,
        },
    },
    {
        "need": "n03",
        "q": [
            ("en", "climate citizens assemblies in Europe - do they actually influence policy?"),
            ("da", "har klimaborgersamlinger nogen effekt på politikken?"),
            ("en", "citizens jury on climate, lessons learned"),
        ],
        "rel": {
            "klimaborgerting-tendenser-udfordringer-og-muligheder": 2,
            "hvem-hvad-hvor-om-klimaborgersamlinger": 2,
            "er-en-borgersamling-svaret": 1,
            "borgersamlinger-paa-svensk": 1,
            "demokratiser-byudviklingen": 1,
        },
    },
    {
        "need": "n04",
        "q": [
            (
                "da",
                "vi overvejer et borgerpanel med tilfældigt udtrukne "
                "borgere, hvordan griber man det an?",
            ),
            ("en", "practical guide to running a citizens assembly"),
        ],
        "rel": {
            "borgersamlinger-paa-svensk": 2,
            "er-en-borgersamling-svaret": 2,
            "demokratiser-byudviklingen": 2,
            "demokratisk-innovation-vores-stemmer": 2,
            "klimaborgerting-tendenser-udfordringer-og-muligheder": 1,
            "hvem-hvad-hvor-om-klimaborgersamlinger": 1,
        },
    },
    {
        "need": "n05",
        "q": [
            ("en", "participatory budgeting examples"),
            ("da", "erfaringer med borgerbudgetter"),
        ],
        "rel": {
            "kapitalvaerksteder-penge-som-paaskud": 2,
            "aarhus-samskabelse-i-det-groenne": 2,
            "hvad-kan-vi-laere-af-sverige": 2,
        },
    },
    {
        "need": "n06",
        "q": [
            ("en", "how do we measure if our public engagement actually worked"),
            ("da", "evaluering af borgerinddragelse - findes der en guide?"),
        ],
        "rel": {
            "hvordan-kan-vi-maale-borgerinddragelse": 2,
            "er-en-borgersamling-svaret": 1,
            "klimaborgerting-tendenser-udfordringer-og-muligheder": 1,
            "stedsans-samskabelse-gennem-omverdensinddragelse": 1,
        },
    },
    {
        "need": "n07",
        "q": [
            ("en", "how do councils involve kids in decisions? examples"),
            ("da", "eksempler på kommuner der inddrager børn"),
        ],
        "rel": {
            "hoer-godt-efter": 2,
            "boern-og-byudvikling": 2,
            "guide-til-dialog-med-unge": 2,
            GULDBORGSUND: 1,
        },
    },
    {
        "need": "n08",
        "q": [
            (
                "en",
                "we always get the same middle aged people at our meetings. "
                "how do we reach other groups?",
            ),
            ("da", "hvordan når vi de borgere der aldrig dukker op til borgermøder"),
        ],
        "rel": {
            "svaere-at-naa-eller-nemme-at-overse": 2,
            "deltagelse-som-en-vej-til-forandring-for-socialt-udsatte-borgere": 2,
            "facilitering-er-noeglen": 1,
            "saarbare-borgere-vil-ikke-vaere-en-maalgruppe": 1,
            URBAN_PLANEN: 1,
        },
    },
    {
        "need": "n09",
        "q": [
            ("en", "co-creation in deprived social housing estates, what works"),
            ("da", "samskabelse i et udsat boligområde - hvad skal der til for at det lykkes?"),
        ],
        "rel": {
            "bliv-ved-med-at-proeve-et-fejlslagent-forsoeg-paa-samskabelse-kan-give-grobund": 2,
            "inspiration-til-udvikling-i-udsatte-boligomraader": 2,
            URBAN_PLANEN: 2,
            "baeredygtighed-er-en-guldgrube": 2,
            "inspiration-til-socialt-arbejde-i-udsatte-bydele": 1,
            "laererige-erfaringer-med-relationel-velfaerd": 1,
            FREDERIKSBERG: 1,
            GULDBORGSUND: 1,
        },
    },
    {
        "need": "n10",
        "q": [
            ("en", "role of frontline staff in co-production"),
            ("da", "hvad betyder de medarbejdere der er tæt på borgerne for om samskabelse lykkes"),
        ],
        "rel": {
            "samskabelse-sker-ikke-bare-af-sig-selv": 2,
            "vi-lader-de-fagprofessionelle-i-stikken": 2,
            "vi-skal-moedes-om-de-reelle-problemer": 2,
            "bliv-ved-med-at-proeve-et-fejlslagent-forsoeg-paa-samskabelse-kan-give-grobund": 1,
            "netvaerk-kan-give-mod-paa-samskabelse": 1,
            FREDERIKSBERG: 1,
            "samskabelse-kraever-systematik-og-et-strategisk-fundament": 1,
        },
    },
    {
        "need": "n11",
        "q": [
            (
                "en",
                "what should managers do to make co-creation part of "
                "everyday work in the organisation",
            ),
            ("da", "ledelse af samskabelse gode råd"),
        ],
        "rel": {
            "fif-til-at-lede-samskabelse": 2,
            "samskabelse-kraever-systematik-og-et-strategisk-fundament": 2,
            "vi-lader-de-fagprofessionelle-i-stikken": 1,
            FREDERIKSBERG: 1,
            "inspiration-til-innovation": 1,
        },
    },
    {
        "need": "n12",
        "q": [
            (
                "da",
                "har en kommune uddannet sine medarbejdere til at drive samskabelse med borgerne? "
                "en slags ambassadører",
            ),
            ("en", "training municipal staff to try out small experiments together with residents"),
        ],
        "rel": {
            FREDERIKSBERG: 2,
            "netvaerk-kan-give-mod-paa-samskabelse": 1,
            "samskabelse-kraever-systematik-og-et-strategisk-fundament": 1,
        },
    },
    {
        "need": "n13",
        "q": [
            (
                "da",
                "unge på kanten af kriminalitet i et kvarter - hvordan skaber man tillid "
                "mellem dem og de andre beboere?",
            ),
            (
                "en",
                "youth at risk of crime in a neighbourhood, rebuilding trust with other residents",
            ),
        ],
        "rel": {
            FREDERIKSBERG: 2,
        },
    },
    {
        "need": "n14",
        "q": [
            ("da", "nye fællesskaber for ensomme ældre på tværs af generationer"),
            ("en", "lonely elderly people - intergenerational community projects"),
        ],
        "rel": {
            FREDERIKSBERG: 2,
        },
    },
    {
        "need": "n15",
        "q": [
            ("da", "én indgang til kommunen for familier der har mange sager på én gang"),
            ("en", "one contact person for families who have cases in many municipal departments"),
        ],
        "rel": {
            GULDBORGSUND: 2,
            "laererige-erfaringer-med-relationel-velfaerd": 1,
        },
    },
    {
        "need": "n16",
        "q": [
            ("da", "har nogen erfaring med public interest design i kommunen?"),
            ("en", "public interest design in local government"),
        ],
        "rel": {
            GULDBORGSUND: 2,
        },
    },
    {
        "need": "n17",
        "q": [
            ("en", "using artists and creative methods to engage residents"),
            ("da", "kan man bruge kunstnere i inddragelsesprocesser?"),
        ],
        "rel": {
            "kunst-kultur-og-kreativitet-som-loeftestang": 2,
            GULDBORGSUND: 2,
            FREDERIKSBERG: 1,
            "svaere-at-naa-eller-nemme-at-overse": 1,
            "guide-til-rollespil-og-forumteater": 1,
        },
    },
    {
        "need": "n18",
        "q": [
            (
                "da",
                "socialøkonomisk virksomhed hvor ledige kvinder syr tasker af genbrugstekstiler",
            ),
            ("en", "textile upcycling with long-term unemployed women"),
        ],
        "rel": {
            URBAN_PLANEN: 2,
            "baeredygtighed-er-en-guldgrube": 1,
        },
    },
    {
        "need": "n19",
        "q": [
            ("da", "fremtidsværksted med ledige borgere"),
            ("en", "future workshops with vulnerable residents"),
        ],
        "rel": {
            URBAN_PLANEN: 2,
            "backcasting-som-metode-til-at-forme-fremtiden": 1,
            "baeredygtighed-er-en-guldgrube": 1,
        },
    },
    {
        "need": "n20",
        "q": [
            ("da", "hvordan får man udsatte familier til at bruge byens kulturtilbud?"),
            ("en", "connecting vulnerable families with local cultural activities"),
        ],
        "rel": {
            FREDERIKSBERG: 2,
        },
    },
    {
        "need": "n21",
        "q": [
            ("en", "how to get citizens engaged in the green transition locally"),
            ("da", "hvordan får vi borgerne med i den grønne omstilling lokalt?"),
            ("da", "grøn omstilling borgerinddragelse"),
        ],
        "rel": {
            "hvordan-involvere-borgerne-i-den-groenne-omstilling": 2,
            "klimahandling-i-faellesskab": 2,
            "inspiration-til-lokalt-klimaengagement": 2,
            "digital-borgerdialog-om-groen-omstilling": 2,
            "groen-omstilling-skal-samskabes": 2,
            "collective-intelligence-giver-klimahandling": 1,
            "klimaborgerting-tendenser-udfordringer-og-muligheder": 1,
            "hvem-hvad-hvor-om-klimaborgersamlinger": 1,
            "det-groenne-engagement-forandrer-sig": 1,
            "samskabelse-af-naturbaserede-affaldsloesninger-hvad-kan-vi-laere": 1,
            "digegrupper-i-slagelse": 1,
            URBAN_PLANEN: 1,
        },
    },
    {
        "need": "n22",
        "q": [
            (
                "en",
                "village climate action where the council helped locals set "
                "up a repair cafe and car sharing",
            ),
            ("da", "landsby der selv har lavet klimatiltag med hjælp fra kommunen"),
        ],
        "rel": {
            "inspiration-til-lokalt-klimaengagement": 2,
            "klimahandling-i-faellesskab": 1,
            "digegrupper-i-slagelse": 1,
            "inspiration-til-at-udvikle-lokalsamfund": 1,
        },
    },
    {
        "need": "n23",
        "q": [
            ("en", "residents taking care of flood protection themselves"),
            ("da", "borgere der selv sørger for at beskytte byen mod stormflod"),
        ],
        "rel": {
            "digegrupper-i-slagelse": 2,
        },
    },
    {
        "need": "n24",
        "q": [
            ("en", "waste company working with schools on biodiversity and garden waste"),
            ("da", "kvashegn skoler"),
        ],
        "rel": {
            "samskabelse-af-naturbaserede-affaldsloesninger-hvad-kan-vi-laere": 2,
            "groen-omstilling-skal-samskabes": 1,
        },
    },
    {
        "need": "n25",
        "q": [
            ("en", "which online platform should we use for digital citizen engagement?"),
            ("da", "digitale værktøjer til borgerinddragelse"),
        ],
        "rel": {
            "en-guide-til-digital-inddragelse": 2,
            "it-vaerktoejer-til-borgerinddragelse": 2,
            "digital-borgerdialog-om-groen-omstilling": 2,
            "samskabelse-forstaaet-som-collective-intelligence": 1,
            "collective-intelligence-giver-klimahandling": 1,
            "at-tegne-vollsmose-med-foedderne": 1,
            "demokratiresan-svensk-podcast-om-borgerdialog": 1,
        },
    },
    {
        "need": "n26",
        "q": [
            ("en", "Swedish SKL / SKR publications on citizen dialogue"),
            ("da", "hvad har de svenske kommuner (SKL) lavet af guides om borgerdialog"),
        ],
        "rel": {
            "hvad-kan-vi-laere-af-sverige": 2,
            "demokratiresan-svensk-podcast-om-borgerdialog": 2,
            "dialogguiden-en-guide-til-borgerinddragelse": 2,
            "dialog-ved-konflikter-ti-skridt": 2,
            "guide-til-dialog-med-unge": 2,
            "it-vaerktoejer-til-borgerinddragelse": 2,
            "borgerinddragelse-som-led-i-styringen": 2,
            "hvordan-kan-vi-maale-borgerinddragelse": 2,
            "borgersamlinger-paa-svensk": 2,
            "dialog-om-komplekse-samfundsspoergsmaal": 2,
            "brugere-og-patienter-som-medskabere": 1,
            "backcasting-som-metode-til-at-forme-fremtiden": 1,
            "politiske-ledere-og-komplekse-udfordringer": 1,
        },
    },
    {
        "need": "n27",
        "q": [
            ("en", "dealing with angry residents and conflict in a public consulation"),
            ("da", "konflikt under borgerinddragelse, hvad gør vi?"),
        ],
        "rel": {
            "dialog-ved-konflikter-ti-skridt": 2,
            "dialog-om-komplekse-samfundsspoergsmaal": 1,
            "politiske-ledere-og-komplekse-udfordringer": 1,
            "borgerdialog-under-overfladen": 1,
        },
    },
    {
        "need": "n28",
        "q": [
            ("en", "facilitating dialogue about integration and wellbeing in local communities"),
            ("da", "facilitering af dialog om svære samfundsemner"),
        ],
        "rel": {
            "dialog-om-komplekse-samfundsspoergsmaal": 2,
            "facilitering-er-noeglen": 2,
            "dialog-ved-konflikter-ti-skridt": 1,
            "borgerdialog-under-overfladen": 1,
            "vaerktoejer-til-at-forny-den-politiske-arbejdsform": 1,
            "hvad-kan-vi-laere-af-sverige": 1,
        },
    },
    {
        "need": "n29",
        "q": [
            ("en", "new roles for local politicians in co-creation"),
            ("da", "hvordan får vi politikerne med når borgerne skal inddrages"),
        ],
        "rel": {
            "samarbejde-er-ikke-en-oenskebroend": 2,
            "vaerktoejer-til-at-forny-den-politiske-arbejdsform": 2,
            "politiske-ledere-og-komplekse-udfordringer": 2,
            "samskabelse-er-politisk": 1,
            "klimaborgerting-tendenser-udfordringer-og-muligheder": 1,
            "facilitering-er-noeglen": 1,
        },
    },
    {
        "need": "n30",
        "q": [
            ("en", "systems change in welfare services"),
            ("da", "systeminnovation på velfærdsområdet"),
        ],
        "rel": {
            "system-innovation-en-guide": 2,
            "at-arbejde-med-systemforandringer-erfaringer-og-metoder": 2,
            "systemforandringer-gennem-collective-impact-eksempelsamling": 2,
            "erfaringer-og-metoder-fra-de-smaa-boerns-bornholm": 2,
            "frisaettelse-af-velfaerd-midtvejsevaluering": 1,
            "erfaringer-med-en-holistisk-tilgang-til-sundhed": 1,
            FREDERIKSBERG: 1,
            GULDBORGSUND: 1,
            "laererige-erfaringer-med-relationel-velfaerd": 1,
        },
    },
    {
        "need": "n31",
        "q": [
            ("en", "housing project where homeless young people live together with students"),
            ("da", "hjemløse unge bofællesskab"),
        ],
        "rel": {
            "her-kan-jeg-vaere-den-jeg-er-sammen-med-andre": 2,
            "systemforandringer-gennem-collective-impact-eksempelsamling": 1,
        },
    },
    {
        "need": "n32",
        "q": [
            ("en", "citizen science projects, benefits and barriers"),
            ("da", "borgerforskning hvordan kommer man igang"),
        ],
        "rel": {
            "citizen-science-hvorfor-og-hvordan": 2,
            "collective-intelligence-giver-klimahandling": 2,
            "inddragelse-af-unge-i-et-kritisk-lys": 1,
        },
    },
    {
        "need": "n33",
        "q": [
            ("en", "collective intelligence for solving social challenges"),
            ("da", "kollektiv intelligens og digitale platforme til samskabelse"),
        ],
        "rel": {
            "samskabelse-forstaaet-som-collective-intelligence": 2,
            "collective-intelligence-giver-klimahandling": 2,
            "citizen-science-hvorfor-og-hvordan": 1,
        },
    },
    {
        "need": "n34",
        "q": [
            ("en", "activities for people with mental health problems that give them a voice"),
            ("da", "psykisk sårbare borgere - fællesskab og deltagelse"),
        ],
        "rel": {
            "deltagelse-giver-haab": 2,
            "kapitalvaerksteder-penge-som-paaskud": 2,
            "kunst-kultur-og-kreativitet-som-loeftestang": 2,
            "samskabelse-trin-for-trin": 1,
            "saarbare-borgere-vil-ikke-vaere-en-maalgruppe": 1,
        },
    },
    {
        "need": "n35",
        "q": [
            ("en", "community health promotion toolkit for municipalities"),
            ("da", "sundhedsfremme i lokalsamfundet sammen med borgerne"),
        ],
        "rel": {
            "haandbog-saadan-kan-i-arbejde-med-sundhed-og-trivsel-i-lokalsamfund": 2,
            "erfaringer-med-en-holistisk-tilgang-til-sundhed": 1,
            "kunst-kultur-og-kreativitet-som-loeftestang": 1,
            "brugere-og-patienter-som-medskabere": 1,
        },
    },
    {
        "need": "n36",
        "q": [
            ("en", "patients as co-creators in healthcare"),
            ("da", "brugerinddragelse af patienter i sundhedsvæsenet"),
        ],
        "rel": {
            "brugere-og-patienter-som-medskabere": 2,
            "erfaringer-med-en-holistisk-tilgang-til-sundhed": 1,
            "samskabelse-trin-for-trin": 1,
        },
    },
    {
        "need": "n37",
        "q": [
            ("en", "rural community development and citizen initiatives"),
            ("da", "landsbyudvikling og lokale ildsjæle"),
        ],
        "rel": {
            "inspiration-til-at-udvikle-lokalsamfund": 2,
            "inspiration-til-lokalt-klimaengagement": 1,
            "at-inddrage-unge-i-landdistrikterne": 1,
            "klimahandling-i-faellesskab": 1,
            "passionen-skal-drive-vaerket": 1,
        },
    },
    {
        "need": "n38",
        "q": [
            (
                "en",
                "how can the council support volunteer-driven local "
                "initiatives without taking over",
            ),
            ("da", "kommunen som fødselshjælper for borgernes egne initiativer"),
        ],
        "rel": {
            "passionen-skal-drive-vaerket": 2,
            "digegrupper-i-slagelse": 2,
            "inspiration-til-lokalt-klimaengagement": 2,
            "det-groenne-engagement-forandrer-sig": 1,
            "inspiration-til-at-udvikle-lokalsamfund": 1,
            "hvordan-engagere-unge": 1,
        },
    },
    {
        "need": "n39",
        "q": [
            ("en", "motivating young volunteers"),
            ("da", "hvordan motiverer man unge frivillige"),
        ],
        "rel": {
            "hvordan-engagere-unge": 2,
            "hvordan-kan-man-involvere-og-samskabe-med-unge": 1,
        },
    },
    {
        "need": "n40",
        "q": [
            ("en", "principles for involving vulnerable young people"),
            ("da", "inddragelse af udsatte unge, hvordan gør man"),
        ],
        "rel": {
            "hvordan-kan-man-involvere-og-samskabe-med-unge": 2,
            "vaerktoejer-til-at-involvere-unge-i-byudvikling": 2,
            "erfaringer-fra-et-svaert-ungdomsliv": 2,
            "her-kan-jeg-vaere-den-jeg-er-sammen-med-andre": 1,
            "inddragelse-af-unge-i-et-kritisk-lys": 1,
            "guide-til-dialog-med-unge": 1,
            FREDERIKSBERG: 1,
        },
    },
    {
        "need": "n41",
        "q": [
            ("en", "what can we learn from Bologna's way of involving citizens"),
            ("da", "Bologna borgerinddragelse byudvikling"),
        ],
        "rel": {
            "hvad-gemmer-sig-bag-bolognas-kontor-for-borgerfantasi": 2,
            "borgernes-stemmer-kan-ikke-staa-alene": 2,
        },
    },
    {
        "need": "n42",
        "q": [
            ("en", "handbook of methods for public participation in urban planning"),
            ("da", "metoder til borgerinddragelse i byplanlægning"),
        ],
        "rel": {
            "borgerne-paa-banen-metoder-til-borgerinddragelse": 2,
            "stedsans-samskabelse-gennem-omverdensinddragelse": 2,
            "demokratiser-byudviklingen": 2,
            "social-forandring-nedefra": 1,
            "borgernes-stemmer-kan-ikke-staa-alene": 1,
            "hvad-gemmer-sig-bag-bolognas-kontor-for-borgerfantasi": 1,
            "inddragelse-af-unge-i-et-kritisk-lys": 1,
            "vaerktoejer-til-at-involvere-unge-i-byudvikling": 1,
            "boern-og-byudvikling": 1,
        },
    },
    {
        "need": "n43",
        "q": [
            ("en", "community gardens and residents looking after green spaces"),
            ("da", "borgerdrevne byhaver"),
        ],
        "rel": {
            "aarhus-samskabelse-i-det-groenne": 2,
            "det-groenne-engagement-forandrer-sig": 2,
            "groen-omstilling-skal-samskabes": 1,
            "samskabelse-af-naturbaserede-affaldsloesninger-hvad-kan-vi-laere": 1,
        },
    },
    {
        "need": "n44",
        "q": [
            ("en", "partnerships between the council and NGOs to support vulnerable citizens"),
            ("da", "partnerskaber mellem kommune og civilsamfund om sårbare borgere"),
        ],
        "rel": {
            "saarbare-borgere-vil-ikke-vaere-en-maalgruppe": 2,
            "corona-partnerskaber-hvad-kan-vi-laere": 2,
            "viden-om-samskabelse-fra-norge": 2,
            "en-bedre-start-gennem-lokale-partnerskaber": 2,
            URBAN_PLANEN: 1,
            FREDERIKSBERG: 1,
            "inspiration-til-socialt-arbejde-i-udsatte-bydele": 1,
        },
    },
    {
        "need": "n45",
        "q": [
            ("en", "what did we learn during covid about supporting socially excluded adults"),
            ("da", "samarbejde om udsatte voksne under en krise"),
        ],
        "rel": {
            "corona-partnerskaber-hvad-kan-vi-laere": 2,
            "inspiration-til-innovation": 1,
        },
    },
    {
        "need": "n46",
        "q": [
            ("en", "support for families with small children - a systemic approach"),
            ("da", "småbørnsfamillier indsats erfaringer"),
        ],
        "rel": {
            "erfaringer-og-metoder-fra-de-smaa-boerns-bornholm": 2,
            "en-bedre-start-gennem-lokale-partnerskaber": 2,
        },
    },
    {
        "need": "n47",
        "q": [
            ("en", "step by step guide to citizen participation"),
            ("da", "guide til borgerinddragelse trin for trin"),
        ],
        "rel": {
            "guidelines-for-borgerinddragelse": 2,
            "dialogguiden-en-guide-til-borgerinddragelse": 2,
            "samskabelse-trin-for-trin": 2,
            "borgerne-paa-banen-metoder-til-borgerinddragelse": 2,
            "samskabelse-hvordan": 1,
        },
    },
    {
        "need": "n48",
        "q": [
            ("en", "is co-creation just a buzzword? critical view"),
            ("da", "kritik af samskabelse som begreb"),
        ],
        "rel": {
            "samskabelse-er-politisk": 2,
            "vi-skal-moedes-om-de-reelle-problemer": 2,
            "inddragelse-af-unge-i-et-kritisk-lys": 1,
            "samarbejde-er-ikke-en-oenskebroend": 1,
        },
    },
    {
        "need": "n49",
        "q": [
            ("en", "role play and forum theatre as training methods"),
            ("da", "rollespil som metode"),
        ],
        "rel": {
            "guide-til-rollespil-og-forumteater": 2,
            "vaerktoejer-til-at-forny-den-politiske-arbejdsform": 2,
        },
    },
    {
        "need": "n50",
        "q": [
            ("en", "backcasting for sustainability work"),
            ("da", "hvordan arbejder man baglæns fra en ønsket fremtid i klimaplanlægningen?"),
        ],
        "rel": {
            "backcasting-som-metode-til-at-forme-fremtiden": 2,
            URBAN_PLANEN: 1,
        },
    },
    {
        "need": "n51",
        "q": [
            ("en", "evaluation of the welfare agreements that freed municipalities from rules"),
            ("da", "frikommuneforsøg velfærd evaluering"),
        ],
        "rel": {
            "frisaettelse-af-velfaerd-midtvejsevaluering": 2,
        },
    },
    {
        "need": "n52",
        "q": [
            ("en", "commissioning for outcomes and co-production"),
            ("da", "resultatbaseret styring og samskabelse"),
        ],
        "rel": {
            "samskabelse-med-fokus-paa-resultater": 2,
            "borgerinddragelse-som-led-i-styringen": 1,
        },
    },
    {
        "need": "n53",
        "q": [
            ("en", "psychological and social dynamics in citizen dialogue"),
            ("da", "psykologien i borgerdialog"),
        ],
        "rel": {
            "borgerdialog-under-overfladen": 2,
            "facilitering-er-noeglen": 1,
        },
    },
    {
        "need": "n54",
        "q": [
            ("en", "leadership principles for the climate crisis"),
            ("da", "klimaledelse råd til ledere"),
        ],
        "rel": {
            "gode-raad-til-klimalederskab": 2,
        },
    },
    {
        "need": "n55",
        "q": [
            ("en", "combining social and environmental sustainability in a housing area"),
            ("da", "grøn omstilling og sociale problemer i samme indsats i et boligområde"),
        ],
        "rel": {
            URBAN_PLANEN: 2,
            "baeredygtighed-er-en-guldgrube": 2,
            "klimahandling-i-faellesskab": 1,
            "samskabelse-af-naturbaserede-affaldsloesninger-hvad-kan-vi-laere": 1,
        },
    },
    {
        "need": "n56",
        "q": [
            ("en", "police co-creation experiences"),
            ("da", "politiet og samskabelse"),
        ],
        "rel": {
            "samskabelse-kraever-systematik-og-et-strategisk-fundament": 2,
        },
    },
    {
        "need": "n57",
        "q": [
            ("en", "the human side of smart cities - people who drive change from below"),
            ("da", "ildsjæle der skaber forandring i byen nedefra"),
        ],
        "rel": {
            "social-forandring-nedefra": 2,
            "passionen-skal-drive-vaerket": 1,
        },
    },
    {
        "need": "n58",
        "q": [
            (
                "en",
                "Norwegian experience with co-creation between "
                "municipalities and the voluntary sector",
            ),
            ("da", "samskabelse i Norge"),
        ],
        "rel": {
            "viden-om-samskabelse-fra-norge": 2,
            "inddragelse-af-unge-i-et-kritisk-lys": 1,
        },
    },
    {
        "need": "n59",
        "q": [
            ("en", "podcast about citizen dialog"),
            ("da", "podcast om borgerinddragelse"),
        ],
        "rel": {
            "demokratiresan-svensk-podcast-om-borgerdialog": 2,
        },
    },
    {
        "need": "n60",
        "q": [
            ("en", "how to make innovation part of daily work in the public sector"),
            ("da", "innovation i den offentlige sektor til hverdag"),
        ],
        "rel": {
            "inspiration-til-innovation": 2,
            FREDERIKSBERG: 1,
            "system-innovation-en-guide": 1,
        },
    },
    {
        "need": "n61",
        "q": [
            ("en", "book with practical co-production examples from welfare services"),
            ("da", "bog om samskabelse i praksis med eksempler fra velfærd"),
        ],
        "rel": {
            "samskabelse-hvordan": 2,
            "samskabelse-trin-for-trin": 1,
            "vi-skal-moedes-om-de-reelle-problemer": 1,
        },
    },
]

TUNE_SHARE = 0.4


def cases() -> list[tuple[str, str, str]]:
    """(id, title, lang) for every case of the default corpus."""
    rows = [(case_id(t), t, "en") for t in ENGLISH_CASES]
    rows += [(case_id(t), t, "da") for t in DANISH_CASES]
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids)), "colliding case ids"
    return rows


def kind(query_lang: str, case_langs: set[str]) -> str:
    """same-language / cross-language / both, from the languages of all judged-relevant cases."""
    if case_langs == {query_lang}:
        return "same-language"
    if query_lang not in case_langs:
        return "cross-language"
    return "both"


def splits(kinds_by_need: dict[str, tuple[str, ...]], frozen: dict[str, str]) -> dict[str, str]:
    """Deterministic ~40/60 tune/test split per need, stratified by the need's question kinds.

    Needs that already have a split (``frozen``, read from the existing queries.jsonl) keep it, so
    editing judgments never moves a need between splits. Within a stratum, needs are ordered by a
    hash of their id; a new need goes to tune when that brings the stratum's tune count up to
    round(TUNE_SHARE * (number of needs seen so far in the stratum)).
    """
    strata: dict[tuple[str, ...], list[str]] = {}
    for need, kinds in kinds_by_need.items():
        strata.setdefault(kinds, []).append(need)
    out: dict[str, str] = {}
    for members in strata.values():
        members.sort(key=lambda n: hashlib.sha256(f"casesearch-eval:{n}".encode()).hexdigest())
        tune = 0
        for i, need in enumerate(members):
            if need in frozen:
                out[need] = frozen[need]
            elif tune < round(TUNE_SHARE * (i + 1)):
                out[need] = "tune"
            else:
                out[need] = "test"
            tune += out[need] == "tune"
    return out


def main() -> None:
    rows = cases()
    lang_of = {cid: lang for cid, _, lang in rows}
    seen_needs = set()
    queries = []
    kinds_by_need: dict[str, tuple[str, ...]] = {}
    for need in NEEDS:
        assert need["need"] not in seen_needs, need["need"]
        seen_needs.add(need["need"])
        unknown = set(need["rel"]) - set(lang_of)
        assert not unknown, (need["need"], unknown)
        assert 2 in need["rel"].values(), need["need"]
        case_langs = {lang_of[c] for c in need["rel"]}
        ks = []
        for lang, text in need["q"]:
            k = kind(lang, case_langs)
            ks.append(f"{lang}:{k}")
            queries.append({"need": need["need"], "lang": lang, "text": text, "kind": k})
        kinds_by_need[need["need"]] = tuple(sorted(ks))
    # Keep the ids of questions and the splits of needs that already exist, so runs and results
    # stay comparable; new questions get the next free ids.
    old_ids: dict[tuple[str, str], str] = {}
    frozen: dict[str, str] = {}
    if (HERE / "queries.jsonl").exists():
        with open(HERE / "queries.jsonl", encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                old_ids[(row["metadata"]["need"], row["text"])] = row["_id"]
                frozen[row["metadata"]["need"]] = row["metadata"]["split"]
    split_of = splits(kinds_by_need, frozen)
    rel_of = {n["need"]: n["rel"] for n in NEEDS}

    next_id = max((int(i[1:]) for i in old_ids.values()), default=0) + 1
    for q in queries:
        q["_id"] = old_ids.get((q["need"], q["text"]))
        if q["_id"] is None:
            q["_id"] = f"q{next_id:03d}"
            next_id += 1
    queries.sort(key=lambda q: q["_id"])
    with open(HERE / "queries.jsonl", "w", encoding="utf-8") as f:
        for q in queries:
            meta = {
                "lang": q["lang"],
                "need": q["need"],
                "split": split_of[q["need"]],
                "kind": q["kind"],
            }
            f.write(
                json.dumps(
                    {"_id": q["_id"], "text": q["text"], "metadata": meta}, ensure_ascii=False
                )
                + "\n"
            )
    (HERE / "qrels").mkdir(exist_ok=True)
    with open(HERE / "qrels" / "test.tsv", "w", encoding="utf-8") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        for q in queries:
            rel = rel_of[q["need"]]
            for cid in sorted(rel, key=lambda c: (-rel[c], c)):
                f.write(f"{q['_id']}\t{cid}\t{rel[cid]}\n")
    with open(HERE / "cases.tsv", "w", encoding="utf-8") as f:
        f.write("id\ttitle\tlang\n")
        for cid, title, lang in rows:
            f.write(f"{cid}\t{title}\t{lang}\n")


if __name__ == "__main__":
    main()

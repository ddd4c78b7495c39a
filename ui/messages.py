"""Every text of the app, in English and Danish: the one message catalogue.

A typed Python module rather than gettext ``.po`` files: the app has two languages and a few
hundred texts, both languages of a text stand side by side for review, a missing translation
is an error a test finds (``tests/test_app_i18n.py``), and nothing has to be compiled before
the app starts. Keys are ``<page or part>.<what>``; ``{name}`` placeholders are filled by
:func:`casesearch.ui.i18n.t` and must be the same in both languages.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """One text in both interface languages."""

    en: str
    da: str

    def get(self, lang: str) -> str:
        return self.da if lang == "da" else self.en


M = Message

#: Example questions by the language they are asked in, shown as they are in either interface
#: (a Danish question stays Danish): practitioners' wording, one click runs them.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "en": (
        "how to involve unemployed residents in waste work",
        "co-creation in deprived social housing estates, what works",
        "lonely elderly people - intergenerational community projects",
    ),
    "da": (
        "hvordan inddrager man unge i byudvikling?",
        "erfaringer med borgerbudgetter",
        "kan man bruge kunstnere i inddragelsesprocesser?",
    ),
}

MESSAGES: dict[str, Message] = {
    # ------------------------------------------------------------------ language
    "lang.switch": M("Language · Sprog", "Sprog · Language"),
    "lang.self": M("English", "Dansk"),
    # ------------------------------------------------------------------ pages
    "page.search": M("Search", "Søg"),
    "page.judgments": M("Judgments", "Vurderinger"),
    "page.evaluation": M("Evaluation", "Evaluering"),
    "page.corpus": M("Corpus", "Samling"),
    "page.case": M("Case", "Case"),
    # ------------------------------------------------------------------ first start
    "start.setting_up": M(
        "Setting up: this is the first start on this machine, so the case collection is read "
        "and indexed once (about a minute). Later starts open at once.",
        "Gør klar: det er første start på denne maskine, så case-samlingen læses og indekseres "
        "én gang (omkring et minut). Senere starter åbner med det samme.",
    ),
    "start.starting": M("Starting…", "Starter…"),
    "start.building": M("Building the search index…", "Bygger søgeindekset…"),
    "start.build_failed": M(
        "Building the index failed: {error}", "Indekset kunne ikke bygges: {error}"
    ),
    "start.build_error": M(
        "The search index could not be built: {error}. Check that the corpus folder is present "
        "and readable, then reload the page.",
        "Søgeindekset kunne ikke bygges: {error}. Tjek at mappen med cases findes og kan læses, "
        "og genindlæs så siden.",
    ),
    "start.indexed": M(
        "Indexed {cases} cases in {seconds} s.", "Indekserede {cases} cases på {seconds} s."
    ),
    "start.mismatch": M(
        "The search index on disk was made by another version of casesearch or with another "
        "language model, so it has to be rebuilt from the case files once (about a minute).",
        "Søgeindekset på disken er lavet af en anden version af casesearch eller med en anden "
        "sprogmodel, så det skal bygges igen ud fra case-filerne én gang (omkring et minut).",
    ),
    "start.details": M("Details", "Detaljer"),
    "start.rebuild": M("Rebuild the search index", "Byg søgeindekset igen"),
    "start.open_failed": M(
        "The search index could not be opened: {error}",
        "Søgeindekset kunne ikke åbnes: {error}",
    ),
    "start.damaged": M(
        "The search index on disk is damaged, so it has to be repaired from the case files "
        "once. The command line does the same: `casesearch index`.",
        "Søgeindekset på disken er beskadiget, så det skal repareres ud fra case-filerne én "
        "gang. Kommandolinjen gør det samme: `casesearch index`.",
    ),
    # ------------------------------------------------------------------ access
    "access.secrets_unreadable": M(
        "`.streamlit/secrets.toml` cannot be read; the app stays closed until it can.",
        "`.streamlit/secrets.toml` kan ikke læses; appen forbliver lukket, indtil den kan.",
    ),
    "access.sign_in_prompt": M(
        "Sign in to search the case collection.", "Log ind for at søge i case-samlingen."
    ),
    "access.sign_in": M("Sign in", "Log ind"),
    "access.sign_out": M("Sign out", "Log ud"),
    "access.no_access": M(
        "The account {email} has no access to this app.",
        "Kontoen {email} har ikke adgang til denne app.",
    ),
    "access.no_email": M("(no e-mail address)", "(ingen e-mailadresse)"),
    "access.password": M("Password", "Adgangskode"),
    "access.wrong_password": M("Wrong password.", "Forkert adgangskode."),
    "access.read_only_no_index": M(
        "This read-only app has no usable search index yet. Its operator builds or repairs it "
        "on the server with `casesearch index --data-dir {data_dir}`; reload this page "
        "afterwards.",
        "Denne skrivebeskyttede app har endnu intet brugbart søgeindeks. Den, der driver appen, "
        "bygger eller reparerer det på serveren med `casesearch index --data-dir {data_dir}`; "
        "genindlæs siden bagefter.",
    ),
    "access.read_only_note": M(
        "Read-only: searching and reading only.", "Skrivebeskyttet: kun søgning og læsning."
    ),
    "upload.read_only": M(
        "This app is read-only: case files are added by its operator.",
        "Denne app er skrivebeskyttet: case-filer tilføjes af den, der driver den.",
    ),
    # ------------------------------------------------------------------ progress
    "phase.wait": M(
        "Waiting for another update of this data directory to finish",
        "Venter på, at en anden opdatering af denne datamappe bliver færdig",
    ),
    "phase.model": M("Loading the language model", "Indlæser sprogmodellen"),
    "phase.ingest": M("Reading the case files", "Læser case-filerne"),
    "phase.embed": M("Indexing passages", "Indekserer tekstafsnit"),
    "phase.save": M("Saving the index", "Gemmer indekset"),
    "phase.sentences": M("Preparing sentence highlights", "Forbereder markering af sætninger"),
    "phase.load": M("Opening the index", "Åbner indekset"),
    "phase.done": M("Ready", "Klar"),
    "phase.count": M("{done} of {total}", "{done} af {total}"),
    # ------------------------------------------------------------------ search page
    "search.title": M("Find cases", "Find cases"),
    "search.caption": M(
        "Citizen participation and co-creation cases in Danish and English — ask in either "
        "language.",
        "Cases om borgerinddragelse og samskabelse på dansk og engelsk — spørg på det sprog, "
        "du foretrækker.",
    ),
    "search.question": M("Your question", "Dit spørgsmål"),
    "search.placeholder": M(
        "e.g. how do we reach residents who never come to meetings?",
        "fx hvordan når vi beboere, der aldrig kommer til møderne?",
    ),
    "search.button": M("Search", "Søg"),
    "search.welcome": M(
        "Describe what you are looking for in **Danish or English** — a problem you face, a "
        "group you want to reach, a method you consider. Cases in both languages are found, "
        "whatever language you ask in.",
        "Beskriv, hvad du leder efter, på **dansk eller engelsk** — et problem, du står med, en "
        "gruppe, du vil nå, en metode, du overvejer. Du får cases på begge sprog, uanset hvilket "
        "sprog du spørger på.",
    ),
    "search.examples_en": M("Try a question in English", "Eller spørg på engelsk"),
    "search.examples_da": M("Or ask in Danish", "Prøv et spørgsmål på dansk"),
    "search.empty": M(
        "Type a question first — a few words are enough, e.g. *borgerinddragelse af unge* or "
        "*involving tenants in renovation*.",
        "Skriv et spørgsmål først — få ord er nok, fx *borgerinddragelse af unge* eller "
        "*involving tenants in renovation*.",
    ),
    "search.failed": M(
        "Sorry — the search failed on this question. Try rephrasing it; if it keeps happening, "
        "tell whoever runs this site (details are in the server log).",
        "Beklager — søgningen mislykkedes for dette spørgsmål. Prøv at formulere det anderledes; "
        "sker det igen, så giv besked til dem, der driver siden (detaljerne står i serverloggen).",
    ),
    "search.cannot_search": M(
        "This cannot be searched as it is — try a few words about what you look for.",
        "Det kan ikke søges på sådan — prøv med nogle få ord om det, du leder efter.",
    ),
    "search.none": M("No cases match this question.", "Ingen cases passer til spørgsmålet."),
    "search.none_filters": M(
        "Your filters may be too narrow — try “Any language” or clear the collection.",
        "Dine filtre er måske for snævre — prøv “Alle sprog”, eller fjern samlingen.",
    ),
    "search.none_words": M(
        "Try other words, or ask in the other language.",
        "Prøv andre ord, eller spørg på det andet sprog.",
    ),
    "search.nothing_answers": M(
        "Nothing in this collection seems to answer this; the closest cases are below.",
        "Intet i denne samling ser ud til at besvare spørgsmålet; her er de nærmeste cases.",
    ),
    "search.uncalibrated": M(
        "How likely each case is to answer is not known for this language model; the cases are "
        "only ordered, best first.",
        "For denne sprogmodel vides det ikke, hvor sandsynligt det er, at en case besvarer "
        "spørgsmålet; casene er kun ordnet med den bedste først.",
    ),
    "search.summary": M("{n} cases for", "{n} cases til"),
    "search.timing": M(" in {seconds} s", " på {seconds} s"),
    "search.summary_tail": M(
        "Best match first; the highlighted sentence is the one closest to your question.",
        "Bedste match først; den markerede sætning er den, der ligger tættest på dit spørgsmål.",
    ),
    "search.language_note": M(
        "Your question looks {question_language}; {n} of the {total} cases found are written in "
        "{languages}. Search matches meaning across languages — use the language filter in the "
        "sidebar to see only {question_language} cases.",
        "Dit spørgsmål ser ud til at være på {question_language}; {n} af de {total} fundne cases "
        "er skrevet på {languages}. Søgningen matcher betydning på tværs af sprog — brug "
        "sprogfilteret i sidepanelet for kun at se cases på {question_language}.",
    ),
    "search.truncated": M(
        "Your question is long ({tokens} word pieces); only the first {kept} were used.",
        "Dit spørgsmål er langt ({tokens} orddele); kun de første {kept} blev brugt.",
    ),
    "search.unknown_language": M(
        "No cases are written in {language}.", "Ingen cases er skrevet på {language}."
    ),
    "search.unknown_collections": M(
        "Unknown collection(s): {collections}.", "Ukendt(e) samling(er): {collections}."
    ),
    "search.filters": M("Filters", "Filtre"),
    "search.case_language": M("Language of the case", "Casens sprog"),
    "search.any_language": M("Any language", "Alle sprog"),
    "search.only_language": M("{language} only", "Kun {language}"),
    "search.case_language_help": M(
        "Questions in one language also find cases written in the other.",
        "Spørgsmål på ét sprog finder også cases skrevet på det andet.",
    ),
    "search.collection": M("Collection", "Samling"),
    "search.all_collections": M("All collections", "Alle samlinger"),
    "search.collection_help": M(
        "The folder or list page a case comes from.",
        "Den mappe eller listeside, en case kommer fra.",
    ),
    "search.field": M("Template field", "Skabelonfelt"),
    "search.no_field": M("No field filter", "Intet feltfilter"),
    "search.field_help": M(
        "Cases from filled-in templates have fields such as region or timescale.",
        "Cases fra udfyldte skabeloner har felter som region eller tidshorisont.",
    ),
    "search.field_value": M("Value", "Værdi"),
    "search.field_contains": M("Contains", "Indeholder"),
    "search.settings": M("Search", "Søgning"),
    "search.mode": M("How to match", "Sådan matches"),
    "search.mode_help": M(
        "Meaning finds cases in both languages even without shared words; keywords find exact "
        "terms (names, places) in the question's language; the default combines both.",
        "Betydning finder cases på begge sprog, også uden fælles ord; nøgleord finder præcise "
        "udtryk (navne, steder) på spørgsmålets sprog; standarden kombinerer begge.",
    ),
    "search.number": M("Number of cases", "Antal cases"),
    "mode.hybrid": M("Meaning + keywords (recommended)", "Betydning + nøgleord (anbefalet)"),
    "mode.dense": M("Meaning only", "Kun betydning"),
    "mode.bm25": M("Keywords only", "Kun nøgleord"),
    "collection.none": M("(no collection)", "(ingen samling)"),
    # ------------------------------------------------------------------ match labels
    "match.strong": M("Strong match", "Stærkt match"),
    "match.good": M("Good match", "Godt match"),
    "match.weak": M("Weak match", "Svagt match"),
    "match.chance": M("{percent} likely to answer", "{percent} sandsynlighed for svar"),
    "match.help": M(
        "The estimated probability that this case answers your question, learned from "
        "questions whose answers are known.",
        "Den anslåede sandsynlighed for, at casen besvarer dit spørgsmål, lært af spørgsmål, "
        "hvor svarene er kendt.",
    ),
    "match.uncalibrated": M("Closest by score", "Tættest efter score"),
    "match.uncalibrated_help": M(
        "No relevance estimate exists for this language model; the cases are only ordered.",
        "Der findes intet relevansestimat for denne sprogmodel; casene er kun ordnet.",
    ),
    # ------------------------------------------------------------------ result cards
    "card.section": M("section “{section}”", "afsnit “{section}”"),
    "card.show_more": M("Show more of this case", "Vis mere af casen"),
    "card.open_case": M("Open the case", "Åbn casen"),
    "card.more_like_this": M("More like this", "Flere som denne"),
    "card.case_gone": M(
        "This case is no longer in the index.", "Denne case er ikke længere i indekset."
    ),
    # ------------------------------------------------------------------ judgments
    "judge.question": M(
        "Does this case help with your question?", "Hjælper denne case med dit spørgsmål?"
    ),
    "judge.help": M(
        "Your answer is saved with the question so that search quality can be measured on real "
        "questions (see the Judgments page).",
        "Dit svar gemmes sammen med spørgsmålet, så søgekvaliteten kan måles på rigtige "
        "spørgsmål (se siden Vurderinger).",
    ),
    "judge.saved": M("Saved: {grade} — thank you!", "Gemt: {grade} — tak!"),
    "judge.failed": M(
        "Could not save your judgment ({error}).", "Din vurdering kunne ikke gemmes ({error})."
    ),
    "grade.2": M("Answers the question", "Besvarer spørgsmålet"),
    "grade.1": M("Useful background", "Nyttig baggrund"),
    "grade.0": M("Not relevant", "Ikke relevant"),
    # ------------------------------------------------------------------ more like this
    "like.title": M("Cases like “{title}”", "Cases som “{title}”"),
    "like.caption": M(
        "The cases closest in content to this one, in both languages; the case itself is left out.",
        "De cases, der indholdsmæssigt ligger tættest på denne, på begge sprog; casen selv er "
        "udeladt.",
    ),
    "like.back": M("Back to “{question}”", "Tilbage til “{question}”"),
    "like.none": M("No other case is close to this one.", "Ingen anden case ligger tæt på denne."),
    "like.gone": M(
        "This case is no longer in the index.", "Denne case er ikke længere i indekset."
    ),
    # ------------------------------------------------------------------ export and share
    "export.csv_button": M("CSV", "CSV"),
    "export.xlsx_button": M("Excel", "Excel"),
    "export.md_button": M("Markdown", "Markdown"),
    "share.hint": M(
        "Download the list for a report, or copy the address bar: the link opens this search "
        "for a colleague.",
        "Hent listen til en rapport, eller kopiér adresselinjen: linket åbner denne søgning for "
        "en kollega.",
    ),
    "export.filter_language": M("case language: {language}", "casens sprog: {language}"),
    "export.filter_collection": M("collection: {collections}", "samling: {collections}"),
    "export.question": M("Question", "Spørgsmål"),
    "export.filters": M("Filters", "Filtre"),
    "export.rank": M("Rank", "Placering"),
    "export.title": M("Title", "Titel"),
    "export.language": M("Language", "Sprog"),
    "export.relevance": M("Relevance", "Relevans"),
    "export.match": M("Match", "Match"),
    "export.excerpt": M("Excerpt", "Uddrag"),
    "export.best_sentence": M("Best sentence", "Bedste sætning"),
    "export.section": M("Section", "Afsnit"),
    "export.source": M("Source", "Kilde"),
    "export.link": M("Link", "Link"),
    "export.heading": M("Cases for", "Cases til"),
    "export.mode": M("Search mode", "Søgemåde"),
    "export.none": M("none", "ingen"),
    "export.searched": M("Searched", "Søgt"),
    "export.cases": M("cases", "cases"),
    "export.not_calibrated": M("not calibrated", "ikke kalibreret"),
    "export.nothing_answers": M(
        "Nothing in this collection seems to answer this; the closest cases are:",
        "Intet i denne samling ser ud til at besvare spørgsmålet; de nærmeste cases er:",
    ),
    "export.strong": M("strong", "stærkt"),
    "export.good": M("good", "godt"),
    "export.weak": M("weak", "svagt"),
    # ------------------------------------------------------------------ case page
    "case.title": M("Case", "Case"),
    "case.none": M(
        "Open a case from a search result or from the Corpus page.",
        "Åbn en case fra et søgeresultat eller fra siden Samling.",
    ),
    "case.gone": M(
        "This case is not in the index (it may have been removed).",
        "Denne case er ikke i indekset (den er måske fjernet).",
    ),
    "case.passage": M("Where the excerpt comes from", "Hvor uddraget kommer fra"),
    "case.passage_caption": M(
        "The passage that matched is tinted, with the text around it.",
        "Det afsnit, der matchede, er farvet, med teksten omkring det.",
    ),
    "case.source_file": M("Source file", "Kildefil"),
    "case.source_files": M("Source files", "Kildefiler"),
    "case.download": M("Download", "Hent"),
    "case.source_missing": M("no longer on disk", "findes ikke længere på disken"),
    "case.web_page": M("Web page", "Webside"),
    "case.full_text": M("The whole case", "Hele casen"),
    "case.similar": M("More like this", "Flere som denne"),
    "case.link_hint": M(
        "The address of this page is a link to this case: copy it to share the case.",
        "Adressen på denne side er et link til casen: kopiér den for at dele casen.",
    ),
    # ------------------------------------------------------------------ corpus page
    "corpus.title": M("Corpus", "Samling"),
    "corpus.cases": M("Cases", "Cases"),
    "corpus.passages": M("Passages indexed", "Indekserede afsnit"),
    "corpus.collections": M("Collections", "Samlinger"),
    "corpus.by_language": M("By language:", "Efter sprog:"),
    "corpus.browse": M("Browse cases", "Gennemse cases"),
    "corpus.language": M("Language", "Sprog"),
    "corpus.any": M("Any", "Alle"),
    "corpus.title_contains": M("Title contains", "Titlen indeholder"),
    "corpus.col_title": M("Title", "Titel"),
    "corpus.col_words": M("Words", "Ord"),
    "corpus.col_source": M("Source", "Kilde"),
    "corpus.shown": M("{shown} of {total} cases", "{shown} af {total} cases"),
    "corpus.no_match": M("No case matches these filters.", "Ingen case passer til filtrene."),
    "corpus.read": M("Read a case", "Læs en case"),
    "corpus.open_case_page": M(
        "Open its case page (link, source file, similar cases)",
        "Åbn casens side (link, kildefil, lignende cases)",
    ),
    "corpus.fields": M("Template fields ({n})", "Skabelonfelter ({n})"),
    "corpus.field": M("Field", "Felt"),
    "corpus.value": M("Value", "Værdi"),
    "upload.title": M("Add case files", "Tilføj case-filer"),
    "upload.caption": M(
        "Text, Markdown, HTML, PDF, Word (.docx), or a table export (.csv / .jsonl with one case "
        "per row). Files are kept in the data directory and searchable for everyone as soon as "
        "they are indexed. A file with the same name as an earlier upload replaces it.",
        "Tekst, Markdown, HTML, PDF, Word (.docx) eller et tabeludtræk (.csv / .jsonl med én "
        "case pr. række). Filerne gemmes i datamappen og kan søges af alle, så snart de er "
        "indekseret. En fil med samme navn som en tidligere fil erstatter den.",
    ),
    "upload.files": M("Case files", "Case-filer"),
    "upload.button": M("Add to the search index", "Føj til søgeindekset"),
    "upload.choose": M("Choose one or more files first.", "Vælg først en eller flere filer."),
    "upload.saving": M("Saving files…", "Gemmer filer…"),
    "upload.failed": M(
        "The files could not be added: {error}", "Filerne kunne ikke tilføjes: {error}"
    ),
    "upload.added": M(
        "Added {cases} case(s) from {files} file(s) in {seconds} s. They can be found on the "
        "Search page now.",
        "Tilføjede {cases} case(s) fra {files} fil(er) på {seconds} s. De kan findes på "
        "siden Søg nu.",
    ),
    "upload.skipped": M("{name} was not added: {reason}", "{name} blev ikke tilføjet: {reason}"),
    "upload.nothing_new": M(
        "The files were read, but they hold no new cases (already in the corpus?).",
        "Filerne blev læst, men de indeholder ingen nye cases (findes de allerede i samlingen?).",
    ),
    # ------------------------------------------------------------------ judgments page
    "judgments.title": M("Judgments", "Vurderinger"),
    "judgments.intro": M(
        "Every time someone marks a search result as *answers the question*, *useful "
        "background* or *not relevant*, it is stored here with the question and the time. The "
        "files use the same layout as the curated evaluation questions, so these real questions "
        "can be scored on the **Evaluation** page or added to the question set.",
        "Hver gang nogen markerer et søgeresultat som *besvarer spørgsmålet*, *nyttig baggrund* "
        "eller *ikke relevant*, gemmes det her med spørgsmålet og tidspunktet. Filerne har samme "
        "format som de kuraterede evalueringsspørgsmål, så de rigtige spørgsmål kan måles på "
        "siden **Evaluering** eller føjes til spørgsmålssættet.",
    ),
    "judgments.none": M(
        "No judgments yet. Search for something on the **Search** page and use the “Does this "
        "case help with your question?” buttons under each result.",
        "Ingen vurderinger endnu. Søg efter noget på siden **Søg**, og brug knapperne “Hjælper "
        "denne case med dit spørgsmål?” under hvert resultat.",
    ),
    "judgments.questions": M("Questions", "Spørgsmål"),
    "judgments.judged": M("Judged results", "Vurderede resultater"),
    "judgments.col_question": M("Question", "Spørgsmål"),
    "judgments.col_case": M("Case", "Case"),
    "judgments.col_judgment": M("Judgment", "Vurdering"),
    "judgments.col_grade": M("Grade", "Karakter"),
    "judgments.col_case_language": M("Case language", "Casens sprog"),
    "judgments.col_question_language": M("Question language", "Spørgsmålets sprog"),
    "judgments.col_when": M("When (UTC)", "Hvornår (UTC)"),
    "judgments.col_case_id": M("Case id", "Case-id"),
    "judgments.download": M("Download", "Hent"),
    "judgments.zip": M("All judgment files (.zip)", "Alle vurderingsfiler (.zip)"),
    "judgments.zip_help": M(
        "queries.jsonl and qrels/test.tsv (BEIR layout) plus the time-stamped log",
        "queries.jsonl og qrels/test.tsv (BEIR-format) plus loggen med tidspunkter",
    ),
    "judgments.log_file": M("{name} (log)", "{name} (log)"),
    "judgments.stored": M(
        "Stored in `{folder}` ({files}). Earlier grades for the same question and case are kept "
        "in the log; the BEIR files hold the latest one.",
        "Gemt i `{folder}` ({files}). Tidligere vurderinger af samme spørgsmål og case bevares "
        "i loggen; BEIR-filerne har den seneste.",
    ),
    # ------------------------------------------------------------------ evaluation page
    "eval.title": M("Evaluation", "Evaluering"),
    "eval.intro": M(
        "How often does search put the right cases at the top? Labelled questions (which cases "
        "answer them) are searched in each mode, and the rankings are scored. **nDCG@10** (0–1, "
        "higher is better) rewards relevant cases near the top; **R@10** is the share of "
        "relevant cases found in the first ten.",
        "Hvor ofte sætter søgningen de rigtige cases øverst? Mærkede spørgsmål (hvor det vides, "
        "hvilke cases der besvarer dem) søges i hver søgemåde, og rangordningerne måles. "
        "**nDCG@10** (0–1, højere er bedre) belønner relevante cases tæt på toppen; **R@10** er "
        "andelen af relevante cases blandt de første ti.",
    ),
    "eval.set_curated": M(
        "Curated questions (eval/questions)", "Kuraterede spørgsmål (eval/questions)"
    ),
    "eval.set_practitioners": M(
        "Practitioners' judgments (from the Search page)",
        "Praktikeres vurderinger (fra siden Søg)",
    ),
    "eval.questions": M("Questions", "Spørgsmål"),
    "eval.run": M("Run the evaluation now", "Kør evalueringen nu"),
    "eval.running": M(
        "Searching every labelled question in each mode… (about a minute)",
        "Søger alle mærkede spørgsmål i hver søgemåde… (omkring et minut)",
    ),
    "eval.finished": M("Evaluation finished.", "Evalueringen er færdig."),
    "eval.failed": M(
        "The evaluation could not run: {error}", "Evalueringen kunne ikke køre: {error}"
    ),
    "eval.none": M(
        "No evaluation has been run on this index yet — press the button above.",
        "Der er endnu ikke kørt en evaluering på dette indeks — tryk på knappen ovenfor.",
    ),
    "eval.latest": M(
        "Latest report: **{name}**, {questions} questions, run {created}.",
        "Seneste rapport: **{name}**, {questions} spørgsmål, kørt {created}.",
    ),
    "eval.empty": M("The report holds no figures.", "Rapporten indeholder ingen tal."),
    "eval.by_pair": M(
        "{measure} by mode and language pair", "{measure} efter søgemåde og sprogpar"
    ),
    "eval.axis_pair": M("question → case", "spørgsmål → case"),
    "eval.pair_caption": M(
        "DA → EN: Danish questions, English cases that answer them; and so on.",
        "DA → EN: danske spørgsmål, engelske cases, der besvarer dem; og så videre.",
    ),
    "eval.all_questions": M("All questions", "Alle spørgsmål"),
    "eval.all": M("All", "Alle"),
    "eval.pair": M("{question} question → {case} case", "spørgsmål på {question} → case på {case}"),
    "eval.col_mode": M("Mode", "Søgemåde"),
    "eval.col_pair": M("Language pair", "Sprogpar"),
    "eval.col_questions": M("Questions", "Spørgsmål"),
    "eval.worst": M("Questions search answers worst", "Spørgsmål, søgningen klarer dårligst"),
    "eval.col_question": M("Question", "Spørgsmål"),
    "eval.col_lang": M("Language", "Sprog"),
    "eval.col_first": M("First relevant at", "Første relevante på plads"),
    "eval.not_found": M("not in top 20", "ikke i top 20"),
    "eval.col_expected": M("Should find", "Burde finde"),
    "eval.col_found": M("Found first", "Fandt først"),
    "eval.significance": M(
        "Significance of differences between modes", "Signifikans af forskelle mellem søgemåder"
    ),
    "eval.no_tests": M("No tests in this report.", "Ingen test i denne rapport."),
    "eval.chart": M("Chart from the report file", "Diagram fra rapportfilen"),
    "eval.raw": M("Raw report (JSON)", "Rå rapport (JSON)"),
}

"""Filled-in forms: case templates whose labels become sections and metadata fields.

Best-practice collections (the CRETHINK toolbox and similar) are filled-in forms. Their
labels survive PDF extraction in pieces (broken lines, hyphenated words, stray spaces), so
labels are matched word by word with any whitespace between the words, and only at the
start of a line. A form is a list of :class:`Label`; new forms are added as data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from casesearch.ingest.blocks import is_hard_wrapped, normalize_spaces, unwrap_lines


@dataclass(frozen=True)
class Label:
    """A form label and what its value is.

    Attributes:
        text: the label as printed on the form.
        role: ``"title"`` (the case title), ``"field"`` (metadata), ``"section"`` (case
            text under the label), ``"both"`` (field and section) or ``"drop"`` (form
            boilerplate: the label and its value are not case content).
        name: section title or field key; defaults to the label text.
        heading: section title of a ``"both"`` label (defaults to the label text).
    """

    text: str
    role: str
    name: str = ""
    heading: str = ""


@dataclass(frozen=True)
class FormTemplate:
    """A kind of form; ``min_labels`` labels (including the title) must be found."""

    name: str
    labels: tuple[Label, ...]
    min_labels: int = 6
    field_names: dict[str, str] = field(default_factory=dict)


CRETHINK_BEST_PRACTICE = FormTemplate(
    name="crethink-best-practice",
    labels=(
        Label("CRETHINK - Co-creative RETHINKing for sustainable cities", "drop"),
        Label("IO2: Toolbox on democratic co-creation methods for sustainable development", "drop"),
        Label("BEST PRACTICES TEMPLATE", "drop"),
        Label("Definition of good/best practice", "drop"),
        Label("1. BACKGROUND INFORMATION", "drop"),
        Label("Title of the practice", "title"),
        Label(
            "Name of the institution/organisation responsible for the implementation / "
            "hosting of the initiative using co-creation methods",
            "both",
            "institution",
            "Institution responsible",
        ),
        Label("Country / Region / Municipality involved", "both", "country_region"),
        Label("Geographical coverage", "both", "geographical_coverage"),
        Label(
            "Timescale: when did it take place and for how long", "both", "timescale", "Timescale"
        ),
        Label("2. DESCRIPTION (no more than 1000 - 3000 characters)", "drop"),
        Label("Sustainable thematic area", "both", "thematic_area"),
        Label("Objectives", "section"),
        Label("Actions carried out", "section"),
        Label("Methodologies used", "section"),
        Label("Tools used or created", "section"),
        Label("3. IMPACT (no more than 1000 - 3000 characters)", "drop"),
        Label(
            "Number of participants / co-creators and their background "
            "(e.g. professional, cultural, gender)",
            "section",
            "Participants and their background",
        ),
        Label("Difficulties founded", "section"),
        Label("Success factors", "section"),
        Label("Weak elements", "section"),
        Label("Transferability", "section"),
        Label(
            "Achievements/Tangible outputs (please include a link, if any)",
            "section",
            "Achievements/Tangible outputs",
        ),
        Label("4. INNOVATION & OUTCOMES (no more than 1000 - 3000 characters)", "drop"),
        Label(
            "Degree of Innovation (governance, recruitment process, fundraising, financing "
            "instruments, marketing, processes, service, etc.)",
            "section",
            "Degree of innovation",
        ),
        Label(
            "What are the innovative points of the methodological approach used?",
            "section",
            "Innovative points of the methodological approach",
        ),
        Label("Evidence on the impact and outcomes achieved", "section"),
        Label("5. FURTHER INFORMATION", "drop"),
        Label("Website", "field", "website"),
        Label("Social media", "field", "social_media"),
        Label("Dissemination actions", "both", "dissemination"),
        Label("Network (if any were set up)", "field", "network"),
        Label("Contact information of best practice: Name & Email address", "field", "contact"),
    ),
)

DEFAULT_TEMPLATES: tuple[FormTemplate, ...] = (CRETHINK_BEST_PRACTICE,)

_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def _label_pattern(text: str) -> re.Pattern[str]:
    """Label words in order, any whitespace (or none) between them, at a line start."""
    tokens = [re.escape(t) for t in _TOKEN.findall(text)]
    body = r"[ \t]*\n?[\s]*".join(tokens)
    return re.compile(r"(?im)^[ \t]*" + body + r"[ \t]*(?=\t|\n|$)")


@dataclass
class FilledForm:
    """The values found in a filled-in form."""

    template: str
    title: str
    sections: list[tuple[str, str]]
    fields: dict[str, str]


def _clean_value(value: str, hard_wrapped: bool) -> str:
    lines = value.split("\n")
    lines = unwrap_lines(lines) if hard_wrapped else [normalize_spaces(ln) for ln in lines]
    return "\n".join(ln for ln in lines if ln)


def parse_form(
    text: str, templates: tuple[FormTemplate, ...] = DEFAULT_TEMPLATES
) -> FilledForm | None:
    """Read a filled-in form, or ``None`` when the text is not one of the known forms."""
    for template in templates:
        found: list[tuple[int, int, Label]] = []
        for label in template.labels:
            match = _label_pattern(label.text).search(text)
            if match:
                found.append((match.start(), match.end(), label))
        if len(found) < template.min_labels or not any(lb.role == "title" for *_, lb in found):
            continue
        found.sort(key=lambda f: f[0])
        hard_wrapped = is_hard_wrapped(text)
        title = ""
        sections: list[tuple[str, str]] = []
        fields: dict[str, str] = {}
        for i, (_, end, label) in enumerate(found):
            stop = found[i + 1][0] if i + 1 < len(found) else len(text)
            value = _clean_value(text[end:stop].replace("\t", "\n"), hard_wrapped)
            if not value or label.role == "drop":
                continue
            name = label.name or label.text
            if label.role == "title":
                title = " ".join(value.split())
            if label.role in ("field", "both"):
                fields[name] = " ".join(value.split())
            if label.role in ("section", "both"):
                heading = name if label.role == "section" else label.heading or label.text
                sections.append((heading, value))
        if title:
            return FilledForm(template.name, title, sections, fields)
    return None

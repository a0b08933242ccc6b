"""A first draft of a mapping, from a sheet's headers, a sample of its values and the council's
reference data: which field each column is, the value maps its codes need, and what kind of
case and which service the sheet's name or title suggests."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.api.models.imports import CheckName, ColumnRule, SheetRule
from services.api.rules.day_first import DateProblem, parse_day_first
from services.api.rules.import_fields import (
    CellProblem,
    FieldType,
    ReferenceNames,
    TargetField,
    choice_value,
    target_fields,
    yes_no,
)
from services.api.rules.sheet_layout import HEADER_SEPARATOR, Cell, Header, normalise

# What councils call each field's column (already in the words `_words` makes of a header).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_ref": (
        "reference", "ref", "case reference", "case ref", "case number", "case", "id",
        "complaint reference", "crm reference", "record number", "our reference",
    ),
    "received_on": (
        "date received", "received", "received date", "date logged", "logged",
        "date of complaint", "date opened", "opened", "date",
    ),
    "acknowledged_on": (
        "acknowledged", "date acknowledged", "acknowledgement sent", "acknowledgement",
        "acknowledged on",
    ),
    "responded_on": (
        "responded", "response sent", "date responded", "response date", "reply sent",
        "date of response", "response", "replied", "responded on",
    ),
    "closed_on": ("closed", "date closed", "closure date", "closed on"),
    "service": ("service", "service area", "directorate"),
    "team": ("team", "service team", "head of service", "department", "unit", "area"),
    "nature": (
        "nature", "nature of complaint", "category", "reason", "issue", "complaint type",
        "subject",
    ),
    "outcome": ("outcome", "result", "finding", "decision"),
    "channel": (
        "channel", "how received", "method", "received via", "contact method",
        "method of contact",
    ),
    "person.name": (
        "complainant", "name", "customer", "client", "service user", "resident",
        "complainant name", "from",
    ),
    "person.email": ("email", "email address"),
    "person.phone": ("phone", "telephone", "mobile", "phone number", "telephone number"),
    "person.address": ("address", "postal address"),
    "enquirer.name": ("councillor", "member", "mp", "enquirer", "member name", "councillor mp"),
    "enquirer_role": ("member is", "role", "councillor or mp", "member type"),
    "ward_or_constituency": ("ward", "constituency", "ward or constituency"),
    "compliment_text": ("compliment", "compliment text", "comments", "what they said"),
    "publication_consent": (
        "consent", "consent to publish", "ok to publish", "publish", "publication consent",
    ),
    "lessons_learned": ("lessons", "lessons learned", "lessons learnt", "learning"),
    "kind": ("type", "kind", "feedback type", "type of feedback"),
    "procedure": ("procedure",),
}  # fmt: skip
_CHECKS: dict[CheckName, tuple[str, ...]] = {
    CheckName.on_time: ("on time", "in time", "within target", "within timescale", "in target"),
    CheckName.working_days_taken: (
        "working days", "days taken", "working days taken", "number of days", "days",
    ),
}  # fmt: skip
_WITHIN = re.compile(r"\bwithin (\d{1,3})(?: working)? days?\b")
_ABBREVIATIONS = {
    "rec'd": "received", "recd": "received", "rcvd": "received", "rec": "received",
    "resp": "response", "ack'd": "acknowledged", "ackd": "acknowledged", "ack": "acknowledged",
    "no": "number", "tel": "telephone", "cllr": "councillor", "dept": "department",
    "e-mail": "email", "wd": "working days", "wds": "working days",
}  # fmt: skip
# Words for choices that are not their codes.
CHOICE_WORDS: dict[str, dict[str, str]] = {
    "outcome": {
        "partly": "partly_upheld", "partially upheld": "partly_upheld",
        "part upheld": "partly_upheld", "partial": "partly_upheld",
        "not upheld": "not_upheld", "rejected": "not_upheld", "no fault": "not_upheld",
        "resolved": "resolved_on_receipt", "early resolution": "resolved_on_receipt",
        "resolved at first contact": "resolved_on_receipt",
    },
    "channel": {
        "e-mail": "email", "telephone": "phone", "tel": "phone", "post": "letter",
        "web form": "web", "online": "web", "website": "web", "online form": "web",
        "face to face": "in_person", "visit": "in_person", "member portal": "portal",
    },
    "enquirer_role": {
        "cllr": "councillor", "member of parliament": "mp", "councillor": "councillor",
    },
    "kind": {
        "complaints": "complaint", "compliments": "compliment", "member enquiry": "member_enquiry",
        "members enquiry": "member_enquiry", "mp enquiry": "member_enquiry",
        "councillor enquiry": "member_enquiry", "members casework": "member_enquiry",
    },
}  # fmt: skip
_KIND_WORDS = (
    ("compliment", "compliment"),
    ("member", "member_enquiry"),
    ("casework", "member_enquiry"),
    ("enquir", "member_enquiry"),
    ("councillor", "member_enquiry"),
    ("mp", "member_enquiry"),
    ("complaint", "complaint"),
)
MIN_SCORE = 0.75
SAMPLE_VALUES = 200


@dataclass
class ColumnSample:
    """What a column's first data rows hold."""

    filled: int = 0
    dates: int = 0
    values: dict[str, str] = field(default_factory=dict)  # normalised -> as first seen

    def add(self, cell: Cell, this_year: int) -> None:
        """Count one cell of the column."""
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            return
        self.filled += 1
        try:
            parse_day_first(cell, this_year=this_year)
            self.dates += 1
        except DateProblem:
            pass
        text = " ".join(str(cell).split())
        if len(self.values) < SAMPLE_VALUES:
            self.values.setdefault(normalise(text), text)

    @property
    def mostly_dates(self) -> bool:
        """Whether most of its cells read as dates."""
        return self.filled > 0 and self.dates * 2 > self.filled


def _words(header: str) -> str:
    text = header.casefold().replace("?", " ").replace("/", " ").replace("&", " and ")
    tokens = re.findall(r"[a-z0-9']+(?:-[a-z0-9]+)?\.?", text)
    expanded = [_ABBREVIATIONS.get(t.rstrip("."), t.rstrip(".")) for t in tokens]
    return " ".join(" ".join(expanded).split())


def _score(header: str, synonym: str) -> float:
    if header == synonym:
        return 1.0
    tokens, wanted = set(header.split()), set(synonym.split())
    if wanted <= tokens:
        # The synonym's words are all there; a longer header is a little less sure.
        return 0.8 + 0.2 * len(wanted) / len(tokens)
    return difflib.SequenceMatcher(None, header, synonym).ratio()


def _candidates(name: str) -> list[str]:
    # The whole header, and its lowest row alone: `Dates / Received` is also `Received`.
    parts = [p for p in name.split(HEADER_SEPARATOR) if p.strip()]
    return list(dict.fromkeys([_words(name), _words(parts[-1]) if parts else ""]))


def _best_field(name: str, sample: ColumnSample) -> tuple[float, str] | None:
    fields = target_fields()
    best: tuple[float, str] | None = None
    for phrase in _candidates(name):
        for field_name, synonyms in SYNONYMS.items():
            target = fields.get(field_name)
            if target is None:
                continue
            if (target.type is FieldType.date) != sample.mostly_dates and sample.filled:
                continue
            score = max(_score(phrase, s) for s in synonyms)
            # The header as a whole counts for more than its lower part alone.
            if phrase != _candidates(name)[0]:
                score -= 0.05
            if best is None or score > best[0]:
                best = (score, field_name)
    return best


def _check_of(name: str) -> tuple[CheckName, int | None] | None:
    words = _words(name)
    within = _WITHIN.search(words)
    if within:
        return CheckName.within_working_days, int(within.group(1))
    for check, synonyms in _CHECKS.items():
        if max(_score(words, s) for s in synonyms) >= 0.9:
            return check, None
    return None


def _guess_kind(text: str) -> str | None:
    words = normalise(text)
    for word, kind in _KIND_WORDS:
        if re.search(rf"\b{word}", words):
            return kind
    return None


def _initials(name: str) -> str:
    return "".join(w[0] for w in re.findall(r"[A-Za-z]+(?:'[A-Za-z]+)?", name)).casefold()


def _guess_service(text: str, reference: ReferenceNames) -> str | None:
    """The service whose code, initials (CSC) or most name words the text holds, if one
    service leads."""
    words = {w.rstrip("s") for w in re.findall(r"[a-z]+", normalise(text)) if len(w) > 2}
    scores = []
    for code, name in reference.services.items():
        stems = {w.rstrip("s") for w in re.findall(r"[a-z]+", normalise(name)) if len(w) > 3}
        score = len(words & stems) + 2 * (code.rstrip("s") in words or _initials(name) in words)
        if score:
            scores.append((score, code))
    scores.sort(reverse=True)
    if scores and (len(scores) == 1 or scores[0][0] > scores[1][0]):
        return scores[0][1]
    return None


def _value_map(
    target: TargetField, sample: ColumnSample, reference: ReferenceNames, service: str | None
) -> tuple[dict[str, Any], list[str]]:
    """The value map a column needs, and the values nothing matched."""
    values: dict[str, Any] = {}
    unmatched: list[str] = []
    for text in sample.values.values():
        found = _match_value(target, text, reference, service)
        if found is _SAME:
            continue
        if found is None:
            unmatched.append(text)
        else:
            values[text] = found
    return values, unmatched


_SAME = object()


def _match_value(
    target: TargetField, text: str, reference: ReferenceNames, service: str | None
) -> Any:
    key = normalise(text)
    if target.type is FieldType.choice:
        if choice_value(target, text) is not None:
            return _SAME
        word = CHOICE_WORDS.get(target.name, {}).get(key)
        if word is not None:
            return word
        labels = {c.replace("_", " "): c for c in target.choices}
        close = difflib.get_close_matches(key, list(labels), n=1, cutoff=0.8)
        return labels[close[0]] if close else None
    if target.type is FieldType.flag:
        try:
            yes_no(text)
            return _SAME
        except CellProblem:
            return None
    if target.type is not FieldType.reference:
        return _SAME
    try:
        if reference.code(target.name, text, service) is not None:
            return _SAME
    except CellProblem:
        # A team of that name in more than one service: the row's service settles it.
        return _SAME
    if target.name == "service":
        by_initials = [c for c, n in reference.services.items() if _initials(n) == key]
        if len(by_initials) == 1:
            return by_initials[0]
    elif service is None and key in _reference_names(target.name, reference, None):
        return _SAME
    names = _reference_names(target.name, reference, service)
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.8)
    return names[close[0]] if close else None


def _reference_names(name: str, reference: ReferenceNames, service: str | None) -> dict[str, str]:
    if name == "service":
        return {normalise(n): c for c, n in reference.services.items()}
    if name == "team":
        return {
            normalise(n): c
            for c, (s, n) in reference.teams.items()
            if service is None or s == service
        }
    return {normalise(n): c for (s, c), n in reference.natures.items() if service in (None, s)}


@dataclass(frozen=True)
class SheetDraft:
    """A suggested rule for a sheet, and what it found column by column."""

    rule: SheetRule
    columns: list[tuple[int, str, str | None, CheckName | None, list[str]]]
    notes: list[str]


def suggest_sheet(
    sheet: str,
    header: Header,
    samples: Mapping[int, ColumnSample],
    title: str,
    reference: ReferenceNames,
) -> SheetDraft | None:
    """A rule for the sheet: each column's field (at most one column a field), fixed kind and
    service when the sheet's name or title says them, value maps for coded columns."""
    scored: list[tuple[float, int, str]] = []
    checks: dict[int, tuple[CheckName, int | None]] = {}
    for column, name in enumerate(header.names, start=1):
        if not name:
            continue
        stated = _check_of(name)
        if stated is not None:
            checks[column] = stated
            continue
        best = _best_field(name, samples.get(column, ColumnSample()))
        if best is not None and best[0] >= MIN_SCORE:
            scored.append((best[0], column, best[1]))
    chosen: dict[int, str] = {}
    for _, column, field_name in sorted(scored, key=lambda s: (-s[0], s[1])):
        if field_name not in chosen.values():
            chosen[column] = field_name
    fixed: dict[str, str | bool | int] = {}
    words = f"{sheet} {title}"
    if "kind" not in chosen.values():
        kind = _guess_kind(words)
        if kind is not None:
            fixed["kind"] = kind
    service = None
    if "service" not in chosen.values():
        service = _guess_service(words, reference)
        if service is not None:
            fixed["service"] = service
    fields = target_fields()
    rules: list[ColumnRule] = []
    found: list[tuple[int, str, str | None, CheckName | None, list[str]]] = []
    notes: list[str] = []
    for column, name in enumerate(header.names, start=1):
        if not name:
            continue
        sample = samples.get(column, ColumnSample())
        if column in checks:
            check, days = checks[column]
            target = TargetField("check", FieldType.flag, frozenset())
            if check is CheckName.working_days_taken:
                target = TargetField("check", FieldType.integer, frozenset())
            values, unmatched = _value_map(target, sample, reference, service)
            rules.append(ColumnRule(column=name, check=check, days=days, values=values))
            found.append((column, name, None, check, unmatched))
        elif column in chosen:
            target = fields[chosen[column]]
            values, unmatched = _value_map(target, sample, reference, service)
            rules.append(ColumnRule(column=name, field=target.name, values=values))
            found.append((column, name, target.name, None, unmatched))
        else:
            found.append((column, name, None, None, []))
    if not rules:
        return None
    given = set(chosen.values()) | set(fixed)
    for name, target in fields.items():
        if target.required and name not in given and name != "external_ref":
            notes.append(f"{sheet}: no column gives `{name}`; add a column or a fixed value for it")
    if "external_ref" not in given:
        notes.append(
            f"{sheet}: no reference column; each case is recognised by a fingerprint of its "
            "kind, service, team, date received and names"
        )
    return SheetDraft(SheetRule(sheet=sheet, fixed=fixed, columns=rules), found, notes)


def mapping_name(file_name: str) -> str:
    """A mapping name from a file name: `Complaints 2018-19.xlsx` gives `complaints-2018-19`."""
    stem = file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    slug = re.sub(r"[^a-z0-9]+", "-", stem.casefold()).strip("-")[:80]
    return slug if slug and slug[0].isalnum() else "imported"


def title_text(rows: Sequence[tuple[int, Sequence[Cell]]], header: Header) -> str:
    """The text above the header: a sheet's title says what it holds."""
    return " ".join(
        str(c)
        for number, cells in rows
        if number < header.rows[0]
        for c in cells
        if isinstance(c, str)
    )

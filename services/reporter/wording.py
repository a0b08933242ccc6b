"""The sentences of the published report, built from its figures: none of them is fixed text.

"In 2018/19 78% (63 of 81) of complaints were answered within 20 working days, which is a
decrease on the 2017/18 figure of 86% (89 of 103)." Pure functions of the report's models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from .report_models import (
    NatureBreakdown,
    OmbudsmanSummary,
    OutcomeBreakdown,
    RemedyEntry,
    Stage2Summary,
    Stage3Summary,
    TimelinessFigure,
)

FINDING_WORDS = {
    "upheld": "upheld",
    "partly_upheld": "partly upheld",
    "not_upheld": "not upheld",
}
# "The independent investigators upheld 3, partly upheld 3 and did not uphold 7".
FINDING_VERBS = {
    "upheld": "upheld",
    "partly_upheld": "partly upheld",
    "not_upheld": "did not uphold",
}
OUTCOME_WORDS = {"Open": "still open", "Not recorded": "without a recorded outcome"}
DECISION_LABELS = {
    "premature": "Premature",
    "another_body": "Another body's",
    "assessed_and_closed": "Assessed and closed",
    "fault_injustice": "Fault causing injustice",
    "fault_no_injustice": "Fault without injustice",
    "no_fault": "No fault",
    "pending": "Awaiting a decision",
}
# How a sentence says what became of a case: "1 found no fault", "1 was assessed and closed".
DECISION_PHRASES = {
    "premature": "was sent back to the council as premature",
    "another_body": "was for another body",
    "assessed_and_closed": "was assessed and closed",
}
REMEDY_LABELS = {
    "financial_payment": "Financial payment",
    "apology": "Apology",
    "new_assessment": "New assessment",
    "review_of_arrangements": "Review of arrangements",
    "policy_or_procedure_change": "Policy or procedure change",
    "refund": "Refund",
    "staff_training": "Staff training",
    "other": "Other",
    "public_interest_report_response": "Response to the public interest report (s.31)",
}
# What a table prints where there is no value (an en dash).
DASH = "\u2013"
STATUS_LABELS = {
    "completed_on_time": "completed on time",
    "completed_late": "completed late",
    "outstanding": "outstanding",
    "overdue": "overdue",
}


def label_of(key: str, labels: Mapping[str, str]) -> str:
    """A code's printed label; a code the report does not know reads as words."""
    return labels.get(key, key.replace("_", " ").capitalize())


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """ "1 complaint", "3 complaints", "no complaints"."""
    many = plural or f"{singular}s"
    if count == 0:
        return f"no {many}"
    return f"{count} {singular if count == 1 else many}"


def was(count: int) -> str:
    """The verb agreeing with a count."""
    return "was" if count == 1 else "were"


def capitalised(text: str) -> str:
    """The first letter in upper case, the rest left alone."""
    return text[:1].upper() + text[1:]


def joined(parts: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def money(pence: int) -> str:
    """Pence as pounds for print: 912460 is "£9,124.60"."""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}£{whole:,}.{part:02d}"


def long_date(day: date) -> str:
    """ "1 April 2018"."""
    return f"{day.day} {day:%B %Y}"


def short_date(day: date | None) -> str:
    """ "20 Dec 2018"; a dash when there is no date."""
    return DASH if day is None else f"{day.day} {day:%b %Y}"


def percentage_points(points: int) -> str:
    """ "1 percentage point", "12 percentage points"."""
    return f"{points} percentage point{'' if points == 1 else 's'}"


def timeliness_sentences(
    figure: TimelinessFigure, year: str, previous_year: str, noun: str, verb: str
) -> list[str]:
    """The year's timeliness against the previous year's and the corporate target.

    `noun` is what was answered ("complaints"), `verb` how ("answered").
    """
    target = figure.target_percent
    if figure.percent is None:
        return [
            f"In {year} there were no {noun} to answer, so there is no figure to set against "
            f"the corporate target of {target}%."
        ]
    within = f"within {figure.within_working_days} working days"
    first = (
        f"In {year} {figure.percent}% ({figure.numerator} of {figure.denominator}) of {noun} "
        f"were {verb} {within}"
    )
    last = figure.previous_year
    was_then = (
        f"the {previous_year} figure of {last.percent}% ({last.numerator} of {last.denominator})"
    )
    if figure.change == "decrease":
        first += f", which is a decrease on {was_then}."
    elif figure.change == "increase":
        first += f", which is an increase on {was_then}."
    elif figure.change == "no change":
        first += f", the same as {was_then}."
    else:
        first += f"; there were none to answer in {previous_year}."
    if figure.meets_target:
        second = f"This meets the corporate target of {target}%."
    else:
        gap = percentage_points(target - figure.percent)
        second = f"This is below the corporate target of {target}%, by {gap}."
    return [first, second]


def volume_sentence(
    count: int,
    previous: int,
    year: str,
    previous_year: str,
    singular: str,
    plural: str,
    verb: str,
) -> str:
    """ "81 Stage 1 complaints were received in 2018/19, down from 103 in 2017/18 (22 fewer)."""
    if count == 0 and previous == 0:
        return f"No {plural} were {verb} in {year} or {previous_year}."
    subject = capitalised(counted(count, singular, plural))
    sentence = f"{subject} {was(count)} {verb} in {year}"
    if count > previous:
        return f"{sentence}, up from {previous} in {previous_year} ({count - previous} more)."
    if count < previous:
        return f"{sentence}, down from {previous} in {previous_year} ({previous - count} fewer)."
    return f"{sentence}, the same number as in {previous_year}."


def nature_sentence(natures: NatureBreakdown) -> str | None:
    """The most common nature (or natures, when tied) of the year's complaints."""
    if natures.denominator == 0:
        return None
    top = max(row.count for row in natures.rows)
    leaders = [row for row in natures.rows if row.count == top]
    share = f"{leaders[0].percent}%"
    names = joined([row.name for row in leaders])
    if len(leaders) == 1:
        return (
            f"The most common nature of complaint was {names}: {top} of "
            f"{natures.denominator} ({share})."
        )
    return (
        f"The most common natures of complaint were {names}, with {top} of "
        f"{natures.denominator} each ({share})."
    )


def outcome_sentence(outcomes: OutcomeBreakdown, noun: str, year: str) -> str:
    """How the year's complaints were decided, largest share first in the printed order."""
    if outcomes.denominator == 0:
        return f"No {noun} were received in {year}, so there are no natures or outcomes to report."
    parts = [
        f"{OUTCOME_WORDS.get(row.label, row.label.lower())} for {row.count} ({row.percent}%)"
        for row in outcomes.rows
        if row.count
    ]
    whole = f"Of the {outcomes.denominator} {noun} received in {year}"
    return f"{whole}, the outcome was {joined(parts)}."


def stage2_sentences(stage2: Stage2Summary) -> list[str]:
    """What the Stage 2 investigators found on the complaint points, and what was agreed."""
    if stage2.investigations == 0 and not any(stage2.findings.values()):
        return []
    sentences = []
    found = [
        f"{FINDING_VERBS.get(key, 'found ' + key.replace('_', ' ') + ' for')} {count}"
        for key, count in stage2.findings.items()
        if key != "pending" and count
    ]
    pending = stage2.findings.get("pending", 0)
    points = sum(stage2.findings.values())
    if points:
        sentence = f"The investigations considered {counted(points, 'complaint point')}"
        if found:
            sentence += f": the independent investigators {joined(found)}"
        if pending:
            sentence += f"; {pending} {'is' if pending == 1 else 'are'} still under investigation"
        sentences.append(sentence + ".")
    agreed = stage2.recommendations_agreed
    sentences.append(
        f"The council agreed {counted(agreed, 'recommendation')} arising from "
        f"{'it' if stage2.investigations == 1 else 'them'}."
    )
    return sentences


def stage3_sentence(stage3: Stage3Summary) -> str | None:
    """The outcomes of the year's Stage 3 review panels."""
    if stage3.reviews == 0:
        return None
    parts = []
    for key, count in stage3.outcomes.items():
        if not count:
            continue
        if key == "pending":
            parts.append(f"{count} {'awaits' if count == 1 else 'await'} the panel")
        else:
            parts.append(f"{count} {was(count)} {FINDING_WORDS.get(key, key.replace('_', ' '))}")
    return f"Of the {counted(stage3.reviews, 'review')}, {joined(parts)}."


def _decision_part(key: str, count: int) -> str:
    if key == "pending":
        return f"{count} {'awaits' if count == 1 else 'await'} a decision"
    if key in ("fault_injustice", "fault_no_injustice", "no_fault"):
        return f"{count} found {DECISION_LABELS[key].lower()}"
    phrase = DECISION_PHRASES.get(key)
    if phrase is not None:
        return f"{count} {phrase if count == 1 else phrase.replace('was', 'were', 1)}"
    return f"{count} {was(count)} {label_of(key, DECISION_LABELS).lower()}"


def _team_decisions(team: str, decisions: Sequence[tuple[str, int]]) -> str:
    """What became of one team's cases: "the case of Head of Disability found no fault"."""
    total = sum(count for _, count in decisions)
    if total == 1:
        key = decisions[0][0]
        part = _decision_part(key, 1).removeprefix("1 ")
        if key == "pending":
            return f"the case of {team} remains ongoing"
        return f"the case of {team} {part}"
    parts = joined([_decision_part(key, count) for key, count in decisions])
    return f"of the {total} cases of {team}, {parts}"


def ombudsman_team_sentence(ombudsman: OmbudsmanSummary) -> str | None:
    """Which team's case was decided how, in the order the report lists the teams."""
    if not ombudsman.teams:
        return None
    teams: dict[str, list[tuple[str, int]]] = {}
    for row in ombudsman.teams:
        teams.setdefault(row.team_name, []).append((row.decision, row.count))
    parts = [_team_decisions(team, decisions) for team, decisions in teams.items()]
    # Semicolons between teams: a team's own part may be a list with "and".
    return f"By team: {'; '.join(parts)}."


def stage2_progress_sentence(stage2: Stage2Summary, year: str) -> str | None:
    """How many of the year's Stage 2 investigations are completed and how many remain open."""
    if stage2.investigations == 0:
        return None
    done, still = stage2.completed, stage2.open
    begun = f"{counted(stage2.investigations, 'Stage 2 investigation')} commenced in {year}"
    if still == 0:
        ending = "all have been completed" if done > 1 else "it has been completed"
        return f"Of the {begun}, {ending}."
    remains = f"{still} {'remains' if still == 1 else 'remain'} open"
    if done == 0:
        return f"None of the {begun} has been completed yet: {remains}."
    return f"Of the {begun}, {done} {'has' if done == 1 else 'have'} been completed and {remains}."


def ombudsman_sentences(ombudsman: OmbudsmanSummary, year: str) -> list[str]:
    """The Ombudsman's decisions on the investigations begun in the year."""
    if ombudsman.investigations == 0:
        return []
    parts = [_decision_part(key, n) for key, n in ombudsman.decisions.items() if n]
    sentences = [
        f"Of the {counted(ombudsman.investigations, 'Ombudsman investigation')} begun in "
        f"{year}, {joined(parts)}."
    ]
    reports = ombudsman.public_interest_reports
    if reports:
        sentences.append(
            f"{capitalised(counted(reports, 'decision'))} {was(reports)} published as a report "
            "in the public interest."
        )
    return sentences


def _duty_sentence(duty: RemedyEntry) -> str:
    """Where the s.31 duty of a public interest report stands."""
    sentence = (
        f"The public interest report ({duty.lgsco_reference}) obliged the council to tell the "
        f"Ombudsman within three months what it had done or would do (Local Government Act "
        f"1974 s.31), by {long_date(duty.due_on) if duty.due_on else 'a date not recorded'}"
    )
    if duty.completed_on is not None:
        late = " late" if duty.status == "completed_late" else ""
        return f"{sentence}: it did so{late} on {long_date(duty.completed_on)}."
    return f"{sentence}: this is {label_of(duty.status, STATUS_LABELS).lower()}."


def remedies_sentences(ombudsman: OmbudsmanSummary, year: str) -> list[str]:
    """The remedies agreed after the year's decisions, their money and where they stand."""
    remedies = ombudsman.remedies
    duties = [_duty_sentence(r) for r in ombudsman.public_interest_duties]
    if not remedies:
        return [f"No remedies followed Ombudsman decisions made in {year}.", *duties]
    sentence = (
        f"After the Ombudsman's decisions made in {year}, the council agreed "
        f"{counted(len(remedies), 'remedy', 'remedies')}"
    )
    if ombudsman.remedies_total_pence:
        sentence += f", including {money(ombudsman.remedies_total_pence)} in payments and refunds"
    statuses: dict[str, int] = {}
    for remedy in remedies:
        statuses[remedy.status] = statuses.get(remedy.status, 0) + 1
    order = [s for s in STATUS_LABELS if s in statuses] + sorted(set(statuses) - set(STATUS_LABELS))
    parts = []
    for status in order:
        count = statuses[status]
        verb = was(count) if status.startswith("completed") else ("is" if count == 1 else "are")
        parts.append(f"{count} {verb} {label_of(status, STATUS_LABELS).lower()}")
    return [sentence + ".", f"Of these, {joined(parts)}.", *duties]

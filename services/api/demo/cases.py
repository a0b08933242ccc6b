"""The demo council's cases, built so that the figures of a real published report come true.

The figures are those of the London Borough of Barking and Dagenham's Social Care and
Education Annual Report for Complaints 2018/19, carried here as literals: loading the cases
and running the annual report for 2018/19 should print that report's tables again. Teams
and natures are the codes of `profiles/barking-and-dagenham.toml`. Everything else (names,
dates, which case got which nature) is made up, deterministically: the same cases on every
call, so that reloading the demo is idempotent.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from services.api.rules.clock import WorkingCalendar
from services.api.rules.financial_year import FinancialYear

DEMO_SOURCE = "demo"


@dataclass(frozen=True)
class DemoEscalation:
    """An escalation of a demo complaint, with the remedies agreed on it."""

    payload: dict[str, Any]
    remedies: tuple[dict[str, Any], ...] = ()
    # When the council told the Ombudsman what it did about a public interest report (s.31).
    public_interest_response_on: str | None = None


@dataclass(frozen=True)
class DemoCase:
    """One demo feedback item and its escalations."""

    item: dict[str, Any]
    escalations: tuple[DemoEscalation, ...] = ()


# Financial years by the calendar year they start in: 2018 is 2018/19.
YEARS = (2017, 2018)
SERVICES = ("children", "adults", "education")

# ---------------------------------------------------------------------------------------------
# The report's tables: service -> team -> financial year -> count. A row printed "N/A" (a team
# that did not yet exist) or missing is left out; a row printed 0 is kept, for the record.

STAGE1_COMPLAINTS: dict[str, dict[str, dict[int, int]]] = {
    "children": {
        "children-disability": {2018: 14, 2017: 10},
        "children-assessment": {2018: 14, 2017: 24},
        "children-care-management": {2018: 23, 2017: 29},
        "children-lac-adoption-preventative": {2018: 22, 2017: 32},
        "children-safeguarding-commissioning": {2018: 1, 2017: 8},
        "children-community-solutions": {2018: 7},
    },
    "adults": {
        "adults-disability": {2018: 15, 2017: 15},
        "adults-mental-health": {2018: 5, 2017: 1},
        "adults-integrated-care": {2018: 28, 2017: 14},
        "adults-integration-commissioning": {2018: 5, 2017: 4},
        "adults-community-solutions": {2018: 1},
    },
    "education": {
        "education-participation-wellbeing": {2018: 3, 2017: 0},
        "education-early-years": {2018: 1, 2017: 0},
        "education-school-performance": {2018: 0, 2017: 0},
        "education-admissions": {2018: 14, 2017: 15},
    },
}

COMPLIMENTS: dict[str, dict[str, dict[int, int]]] = {
    "children": {
        "children-disability": {2018: 0, 2017: 1},
        "children-assessment": {2018: 0, 2017: 2},
        "children-care-management": {2018: 6, 2017: 4},
        "children-lac-adoption-preventative": {2018: 1, 2017: 11},
        "children-safeguarding-commissioning": {2018: 0, 2017: 0},
    },
    "adults": {
        "adults-disability": {2018: 7, 2017: 4},
        "adults-mental-health": {2018: 3, 2017: 0},
        "adults-integrated-care": {2018: 8, 2017: 2},
        "adults-integration-commissioning": {2018: 0, 2017: 0},
    },
    "education": {
        "education-participation-wellbeing": {2018: 5, 2017: 0},
        "education-early-years": {2018: 0, 2017: 2},
        "education-school-performance": {2018: 0, 2017: 1},
        "education-admissions": {2018: 0, 2017: 0},
    },
}

MEMBERS_CASEWORK: dict[str, dict[str, dict[int, int]]] = {
    "children": {
        "children-disability": {2018: 2, 2017: 22},
        "children-assessment": {2018: 12, 2017: 24},
        "children-care-management": {2018: 8, 2017: 5},
        "children-lac-adoption-preventative": {2018: 9, 2017: 8},
        "children-safeguarding-commissioning": {2018: 16, 2017: 7},
        "children-community-solutions": {2018: 11},
    },
    "adults": {
        "adults-disability": {2018: 71, 2017: 42},
        "adults-mental-health": {2018: 7, 2017: 11},
        "adults-integrated-care": {2018: 35, 2017: 65},
        "adults-integration-commissioning": {2018: 9, 2017: 9},
        "adults-community-solutions": {2018: 8},
    },
    "education": {
        "education-participation-wellbeing": {2018: 10, 2017: 6},
        "education-early-years": {2018: 2, 2017: 4},
        "education-school-performance": {2018: 1, 2017: 16},
        "education-admissions": {2018: 55, 2017: 60},
        # The printed rows sum to 68 against a total of 71 that the report states three times
        # and that its "93% (66 of 71)" confirms: the 3 cases sat with a team the table omits.
        "education-other": {2018: 3},
    },
}

# Cases answered in time, as (in time, of): complaints within 20 working days, members'
# casework within 10. The report prints 2017/18 complaints only as a percentage (86%, 97%,
# 73%); these are the counts that round to it.
STAGE1_IN_TIME: dict[str, dict[int, tuple[int, int]]] = {
    "children": {2018: (63, 81), 2017: (89, 103)},
    "adults": {2018: (45, 54), 2017: (33, 34)},
    "education": {2018: (14, 18), 2017: (11, 15)},
}
MEMBERS_IN_TIME: dict[str, dict[int, tuple[int, int]]] = {
    "children": {2018: (55, 58), 2017: (59, 66)},
    "adults": {2018: (111, 130), 2017: (114, 127)},
    "education": {2018: (66, 71), 2017: (84, 86)},
}
STAGE1_TARGET_DAYS = 20
MEMBERS_TARGET_DAYS = 10

# Natures and outcomes (service -> code -> year -> count): 2018/19 as printed; 2017/18 is not
# in the report, so it is invented in the same proportions, with poor communication again the
# main cause for children.
NATURES: dict[str, dict[str, dict[int, int]]] = {
    "children": {
        "challenge-to-assessment-outcome": {2018: 8, 2017: 12},
        "challenge-to-conference-outcome": {2018: 0, 2017: 3},
        "challenge-to-section-17-support": {2018: 5, 2017: 6},
        "challenge-to-savings": {2018: 0, 2017: 1},
        "challenge-to-support-provided": {2018: 13, 2017: 15},
        "contact-worker-issues": {2018: 0, 2017: 4},
        "delays-in-service-minutes": {2018: 5, 2017: 8},
        "foster-carer-issues": {2018: 1, 2017: 3},
        "inaccurate-recording": {2018: 1, 2017: 4},
        "other-service-failure-cause": {2018: 2, 2017: 5},
        "poor-communication": {2018: 46, 2017: 42},
    },
    "adults": {
        "delay-in-communication": {2018: 5, 2017: 3},
        "delays-in-service": {2018: 8, 2017: 5},
        "disagree-with-charge-received": {2018: 0, 2017: 3},
        "dissatisfied-with-financial-support-offered": {2018: 0, 2017: 1},
        "failure-to-do-something": {2018: 9, 2017: 6},
        "inadequate-services-provided-by-a-third-party": {2018: 2, 2017: 3},
        "inappropriate-behavior": {2018: 1, 2017: 1},
        "incorrect-information-or-advice-given": {2018: 4, 2017: 2},
        "not-to-the-quality-or-standard-expected": {2018: 11, 2017: 4},
        "poor-communication": {2018: 14, 2017: 6},
    },
    "education": {
        "delay-in-service": {2018: 3, 2017: 2},
        "disagree-with-policy-or-procedure": {2018: 0, 2017: 4},
        "failure-to-deliver-a-service": {2018: 1, 2017: 1},
        "failure-to-do-something": {2018: 5, 2017: 3},
        "no-communication-received": {2018: 4, 2017: 2},
        "not-to-the-quality-or-standard-expected": {2018: 2, 2017: 1},
        "other-communication-cause": {2018: 3, 2017: 2},
    },
}

OUTCOMES: dict[str, dict[str, dict[int, int]]] = {
    "children": {
        "upheld": {2018: 60, 2017: 64},
        "partly_upheld": {2018: 15, 2017: 24},
        "not_upheld": {2018: 6, 2017: 13},
        "resolved_on_receipt": {2018: 0, 2017: 2},
    },
    "adults": {
        "upheld": {2018: 8, 2017: 7},
        "partly_upheld": {2018: 17, 2017: 10},
        "not_upheld": {2018: 29, 2017: 16},
        "resolved_on_receipt": {2018: 0, 2017: 1},
    },
    "education": {
        "upheld": {2018: 9, 2017: 5},
        "partly_upheld": {2018: 3, 2017: 4},
        "not_upheld": {2018: 6, 2017: 6},
    },
}


@dataclass(frozen=True)
class Lesson:
    """A "Learning and Service Development" bullet and the kind of complaint it came from."""

    text: str
    team: str | None = None
    nature: str | None = None


# Verbatim from the report; each lands on one upheld or partly upheld 2018/19 complaint.
LESSONS: dict[str, tuple[Lesson, ...]] = {
    "children": (
        Lesson(
            "It is clear that year on year that poor communication is the main cause for "
            "complaint when dealing with Children's Social Care. Social Workers and Team "
            "Managers are reminded of the importance of maintaining clear and regular "
            "communication with those cases which are allocated.",
            nature="poor-communication",
        ),
        Lesson(
            "When working with families, decision making should be clear and clearly explained "
            "and followed through by the Social Workers. Decisions should also be monitored "
            "through the use of supervision.",
            nature="challenge-to-assessment-outcome",
        ),
        Lesson(
            "Social Workers at initial meetings should always ensure that parents and children "
            "are aware of how to contact should they have a concern which needs addressing. "
            "These concerns should be noted on case file so that any further allocated social "
            "workers are aware of the issues which have been raised.",
            team="children-assessment",
        ),
        Lesson(
            "All allocated workers to ensure that case notes are kept updated when visits have "
            "occurred, and decisions made. Poor case recording impacts on the ability to not "
            "only produce comprehensive investigation responses but places the Local Authority "
            "at the risk of more complaints and could potentially impact on Child Protection "
            "and Court Cases.",
            nature="inaccurate-recording",
        ),
        Lesson(
            "The role of the Children's Rights Advocate to be explained to Children in Care so "
            "that they can utilise the internal services provided by the Local Authority.",
            team="children-lac-adoption-preventative",
        ),
        Lesson(
            "It is important that families/children feel comfortable in making complaints to "
            "the Local Authority and should not fear that this will adversely affect the work "
            "which is being undertaken.",
            team="children-care-management",
        ),
        Lesson(
            "Children's wishes, and feelings should be kept updated and clearly communicated to "
            "families in terms of contact. Contact schedules should be at the earliest "
            "opportunity finalized and disseminated to families.",
            team="children-lac-adoption-preventative",
            nature="challenge-to-support-provided",
        ),
    ),
    "adults": (
        Lesson(
            "Services need to ensure that timely carers assessments are offered to ensure that "
            "carers feel supported in their role by the Local Authority.",
            nature="failure-to-do-something",
        ),
        Lesson(
            "Communication with families and services users needs to improve. A large portion "
            "of complaints received relate to poor communication. Allocated workers need to "
            "ensure that responsibility is taken to update the necessary people.",
            nature="poor-communication",
        ),
        Lesson(
            "When delays are expected to occur, it is important that service users and "
            "families are fully aware and are kept informed.",
            nature="delays-in-service",
        ),
        Lesson(
            "Once the package of re-ablement has been completed clients should be re-allocated "
            "in a timely way so that the financial assessments can be undertaken to prevent "
            "clients having to excessively contribute to their care packages.",
            team="adults-integrated-care",
        ),
        Lesson(
            "Communication to be improved with families of those who have vulnerabilities "
            "including learning disabilities so that they are aware of the work being "
            "undertaken.",
            team="adults-disability",
        ),
    ),
    "education": (
        Lesson(
            "The communication between teams in the Council could be improved when it comes to "
            "dealing with school applications whereby there is also possible Education Health "
            "Care Team involvement.",
            team="education-admissions",
        ),
    ),
}

# The compliments the report prints, verbatim: printing them implies consent to publish.
# All are 2018/19; the teams are a guess from their content.
PUBLISHED_COMPLIMENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "children": (
        (
            "children-care-management",
            "You say it how it is you've helped me whilst I was having trouble when internet "
            "was down, sorted through school application with me, persisted with helping me "
            "and my son getting a nice safe home that isn't known to Mr X, you've even helped "
            "us with a grant. Last but not least you don't make me uncomfortable. Thank you. "
            "Plz forward this to your manager coz I ain't got her address, but your help "
            "should not go unnoted. From my heart thanx.",
        ),
        (
            "children-care-management",
            "Finally, I just wanted to put in writing what I have said to you on the phone a "
            "couple of times about how hard O has worked on this case and what an impressive "
            "witness she made ' and all in the face of the horrendous vitriol and racism she "
            "had been receiving from the family. Other parties' advocates have also "
            "complimented her to me for her commitment to the children and how well she gave "
            "evidence.",
        ),
        (
            "children-lac-adoption-preventative",
            "I just wanted to alert you to the high standard of work that S is doing. I have "
            "had the pleasure of working with her on a couple of cases and she has also filled "
            "in for other workers on duty. She has always come prepared, has a great work "
            "ethic and is always on time, despite using public transport!",
        ),
    ),
    "adults": (
        (
            "adults-disability",
            "What a great social worker S is and how much he has made a difference since "
            "becoming my Brother's social worker earlier this year! He has sorted out a great "
            "care team which has made a lot of difference and obviously makes him more stable "
            "in the long run it very rare to see these days someone who is very dedicated to "
            "their job especially when a lot of cut backs and pressures are in place!",
        ),
        (
            "adults-integrated-care",
            "I would like to pass my thanks on to my social worker as during my visit she not "
            "only put me at ease but made the whole process very dignified. The process seemed "
            "so much easier when she was undertaking the work with me.",
        ),
        (
            "adults-mental-health",
            "I would like to thank-you for all your help you really do go above and beyond in "
            "your job. (Not everyone does) Thank-you and helps me to stay positive and feel "
            "very supportive. I am very grateful, and I know my mum is too.",
        ),
    ),
    "education": (
        (
            "education-participation-wellbeing",
            "Your response time is excellent. The communication and advice are second to none. "
            "It has moved forward so much from the difficulties that were experienced last "
            "year. The system works, there is a clear process and a solid follow up.",
        ),
        (
            "education-participation-wellbeing",
            "I also want to say a big thank you to SW, who treated me and my daughter with "
            "kindness and respect during all the time I had contact with her. When SW called "
            "me, she arranged an appointment at her earliest convenient to meet with myself at "
            "East Brook. During my telephone conversation with SW before meeting her in person, "
            "she listened to me and she had genuine concern for my daughter's wellbeing, which "
            "also gave me hope that the situation we were in could potentially change.",
        ),
    ),
}

# Compliments the report does not print: no consent was asked, so none is recorded.
PRIVATE_COMPLIMENTS: dict[str, tuple[str, ...]] = {
    "children": (
        "Thank you for listening to us and explaining what would happen next.",
        "Our social worker kept us informed at every step. We are very grateful.",
        "The support my son received over the summer has made a real difference.",
        "Thank you for the care you took with our family during a difficult time.",
        "The contact arrangements have worked well and the children are happier.",
    ),
    "adults": (
        "Thank you for arranging the care package so quickly after Dad came home.",
        "The occupational therapist was patient and the new equipment has helped Mum.",
        "Everyone at the team has been kind and helpful. Thank you.",
        "I was kept informed throughout the assessment and felt listened to.",
        "The reablement team were wonderful and got me back on my feet.",
    ),
    "education": (
        "Thank you for helping us find a nursery place so close to home.",
        "The admissions team answered all of my questions clearly and promptly.",
        "Thank you for the support with my daughter's transition to secondary school.",
    ),
}

# ---------------------------------------------------------------------------------------------
# Escalations. Each chain sits on one complaint of its team answered at least `gap_days`
# before the chain opens: preferably one answered in the months just before, and one not
# fully upheld, as those are the complainants who usually go further. Dates are literal, which
# keeps every escalation in the financial year the report counts it in.


@dataclass(frozen=True)
class _Chain:
    team: str
    steps: tuple[DemoEscalation, ...]
    gap_days: int = 10


def _stage2(
    opened_on: str,
    points: Sequence[tuple[str, str | None]],
    recommendations: Sequence[tuple[str, bool]] = (),
    completed_on: str | None = None,
) -> DemoEscalation:
    payload: dict[str, Any] = {
        "stage": "stage2_investigation",
        "opened_on": opened_on,
        "points": [
            {"summary": summary} | ({"finding": finding} if finding else {})
            for summary, finding in points
        ],
        "recommendations": [
            {"text": text, "agreed": True, "publishable": publishable}
            for text, publishable in recommendations
        ],
    }
    if completed_on:
        payload["completed_on"] = completed_on
    return DemoEscalation(payload)


def _ombudsman(
    reference: str,
    opened_on: str,
    decision: str | None = None,
    decision_on: str | None = None,
    *,
    public_interest_report: bool = False,
    remedies: tuple[dict[str, Any], ...] = (),
    public_interest_response_on: str | None = None,
) -> DemoEscalation:
    payload: dict[str, Any] = {
        "stage": "ombudsman_investigation",
        "lgsco_reference": reference,
        "opened_on": opened_on,
        "public_interest_report": public_interest_report,
    }
    if decision:
        payload |= {"decision": decision, "decision_on": decision_on}
    return DemoEscalation(payload, remedies, public_interest_response_on)


def _remedy(
    type_: str,
    description: str,
    due_on: str,
    completed_on: str,
    payee: str | None = None,
    amount_pence: int | None = None,
) -> dict[str, Any]:
    remedy: dict[str, Any] = {"type": type_, "description": description}
    if amount_pence is not None:
        remedy["amount_pence"] = amount_pence
    if payee:
        remedy["payee_label"] = payee
    return remedy | {"due_on": due_on, "completed_on": completed_on}


OMBUDSMAN_GAP_DAYS = 30
RECENT_ANSWER = timedelta(days=91)

CHAINS: tuple[_Chain, ...] = (
    # Children 2017/18: the one case that went through every stage.
    _Chain(
        "children-disability",
        (
            _stage2(
                "2017-06-12",
                (
                    ("The short breaks package was reduced without a reassessment.", "upheld"),
                    ("The panel's decision was not put in writing.", "partly_upheld"),
                    ("The social worker did not return calls over several weeks.", "not_upheld"),
                    ("The direct payment rate was wrongly calculated.", "not_upheld"),
                ),
                (
                    (
                        "The service to write to the family setting out the short breaks decision.",
                        False,
                    ),
                ),
                completed_on="2017-08-25",
            ),
            DemoEscalation(
                {
                    "stage": "stage3_review",
                    "opened_on": "2017-09-18",
                    "panel_on": "2017-10-26",
                    "outcome": "partly_upheld",
                    "recommendations": [
                        {
                            "text": "Reassess the short breaks package with the family present.",
                            "agreed": True,
                        }
                    ],
                    "completed_on": "2017-11-09",
                }
            ),
            _ombudsman("17 015 318", "2017-12-11", "fault_no_injustice", "2018-03-20"),
        ),
    ),
    # Children 2018/19 Stage 2s: two completed (7 + 6 points: 3 upheld, 3 partly, 7 not) with
    # the report's three printed recommendations, and one complex case still open.
    _Chain(
        "children-lac-adoption-preventative",
        (
            _stage2(
                "2018-06-11",
                (
                    ("No list of essential items was given before the move to a flat.", "upheld"),
                    ("The balance of the leaving care grant was never explained.", "upheld"),
                    ("The personal adviser did not return calls during the move.", "partly_upheld"),
                    ("The pathway plan was not reviewed before the move.", "partly_upheld"),
                    ("The personal adviser was changed without notice.", "not_upheld"),
                    ("The flat offered was unsuitable.", "not_upheld"),
                    ("Setting-up costs were refused without reasons.", "not_upheld"),
                ),
                (
                    (
                        "That the Learn 2 Live Team improves its arrangements for providing young "
                        "people with a list of essential items when they move to a new property.",
                        True,
                    ),
                    (
                        "That the Local Authority reviews systems whether the systems, currently "
                        "in place for establishing how much money is in each young person's "
                        "leaving care grant.",
                        True,
                    ),
                    # Case-specific: agreed, but kept out of the published report.
                    (
                        "The personal adviser to agree a written budget with the young person for "
                        "the rest of the leaving care grant.",
                        False,
                    ),
                ),
                completed_on="2018-08-31",
            ),
        ),
    ),
    _Chain(
        "children-care-management",
        (
            _stage2(
                "2018-09-03",
                (
                    ("The contact centre is too far from the mother's home.", "upheld"),
                    ("Contact sessions were cancelled at short notice.", "partly_upheld"),
                    ("The social worker's assessment misrepresented the mother.", "not_upheld"),
                    ("The mother's views were left out of the child in need plan.", "not_upheld"),
                    ("The social worker was rude on a home visit.", "not_upheld"),
                    ("The team manager did not answer the mother's emails.", "not_upheld"),
                ),
                (
                    (
                        "The Adjudicating Officer reviews the contact centre used for parental "
                        "contact to establish if this remains a suitable venue, if a further "
                        "venue can be identified and used for such sessions.",
                        True,
                    ),
                    (
                        "The social worker to confirm in writing the contact arrangements agreed "
                        "at the last review.",
                        False,
                    ),
                ),
                completed_on="2018-11-23",
            ),
        ),
    ),
    _Chain(
        "children-lac-adoption-preventative",
        (
            _stage2(
                "2019-02-11",
                (
                    ("The placement was ended without consulting the family.", None),
                    ("The family were not told of changes to the care plan.", None),
                    ("Social workers changed four times in a year.", None),
                    ("Records of the looked after review are inaccurate.", None),
                ),
            ),
        ),
    ),
    # Adults Ombudsman 2018/19: the report's remedies, due a month after the decision unless
    # it says otherwise; all were done in time except Miss X's new assessment.
    _Chain(
        "adults-integration-commissioning",
        (
            _ombudsman(
                "18 000 420",
                "2018-04-16",
                "fault_injustice",
                "2019-03-12",
                public_interest_report=True,
                # The report went to the council's Assembly, and the answer to the Ombudsman.
                public_interest_response_on="2019-05-22",
                remedies=(
                    _remedy(
                        "refund",
                        "Repay the third-party top-ups made to the care home and half of the "
                        "service user's contributions",
                        "2019-04-12",
                        "2019-04-03",
                        payee="Mrs Y",
                        amount_pence=912_460,
                    ),
                    _remedy(
                        "policy_or_procedure_change",
                        "Change how residential care payments are made, so that the Council "
                        "pays the full fee and collects the service user's contribution itself, "
                        "as the Care Act guidance requires",
                        "2019-09-12",
                        "2019-09-10",
                    ),
                ),
            ),
        ),
        OMBUDSMAN_GAP_DAYS,
    ),
    _Chain(
        "adults-disability",
        (
            _ombudsman(
                "18 000 871",
                "2018-05-08",
                "fault_injustice",
                "2018-11-20",
                remedies=(
                    _remedy(
                        "financial_payment",
                        "£200 to reflect Mr B's avoidable distress and inconvenience at missed "
                        "visits",
                        "2018-12-20",
                        "2018-12-06",
                        payee="Mr B",
                        amount_pence=20_000,
                    ),
                    _remedy(
                        "financial_payment",
                        "£200 to Mr A to reflect his and his family's avoidable distress",
                        "2018-12-20",
                        "2018-12-06",
                        payee="Mr A",
                        amount_pence=20_000,
                    ),
                    _remedy("apology", "An apology to Mr A", "2018-12-20", "2018-11-29", "Mr A"),
                    _remedy(
                        "review_of_arrangements",
                        "The Council and care provider will within a month review the visit "
                        "arrangements with Mr A and take all reasonable steps to agree a way "
                        "forward",
                        "2018-12-20",
                        "2018-12-14",
                        payee="Mr A",
                    ),
                ),
            ),
        ),
        OMBUDSMAN_GAP_DAYS,
    ),
    _Chain(
        "adults-disability",
        (
            _ombudsman(
                "18 003 356",
                "2018-06-04",
                "fault_injustice",
                "2019-01-15",
                remedies=(
                    _remedy(
                        "financial_payment",
                        "£600 in recognition of the distress and inconvenience Miss X suffered "
                        "due to the delay in providing aids and adaptations",
                        "2019-02-15",
                        "2019-02-08",
                        payee="Miss X",
                        amount_pence=60_000,
                    ),
                    _remedy(
                        "new_assessment",
                        "Carry out a new assessment of Miss X's needs within one month of the "
                        "date of my decision",
                        "2019-02-15",
                        "2019-03-01",
                        payee="Miss X",
                    ),
                ),
            ),
        ),
        OMBUDSMAN_GAP_DAYS,
    ),
)

# The other Ombudsman investigations, with no remedies to record: team, LGSCO reference,
# opened, decision and decided (none yet: still under investigation).
OMBUDSMAN_CASES: tuple[tuple[str, str, str, str | None, str | None], ...] = (
    ("children-lac-adoption-preventative", "18 005 719", "2018-07-09", "no_fault", "2019-01-28"),
    ("children-safeguarding-commissioning", "18 016 402", "2019-02-25", None, None),
    ("adults-disability", "17 004 512", "2017-09-11", "no_fault", "2018-01-23"),
    ("adults-disability", "17 011 087", "2017-11-20", "fault_no_injustice", "2018-04-17"),
    ("adults-disability", "17 016 930", "2018-02-12", "no_fault", "2018-06-26"),
    ("adults-integrated-care", "17 013 245", "2017-12-04", "fault_no_injustice", "2018-05-15"),
    ("adults-disability", "18 017 604", "2019-02-18", None, None),
    ("adults-integrated-care", "18 014 228", "2018-12-10", None, None),
)

# ---------------------------------------------------------------------------------------------
# Made-up people. The lengths are coprime, so a name repeats only every 437 people.

FIRST_NAMES = (
    "Alex", "Sam", "Jordan", "Priya", "Tomasz", "Grace", "Ade", "Chloe", "Imran", "Sophie",
    "Kwame", "Laura", "Mehmet", "Hannah", "Daniel", "Aisha", "Ryan", "Ioana", "Lewis", "Fatima",
    "Connor", "Nadia", "Oliver",
)  # fmt: skip
LAST_NAMES = (
    "Morgan", "Patel", "Okafor", "Hughes", "Nowak", "Bennett", "Ahmed", "Clarke", "Mensah",
    "Walsh", "Kaur", "Turner", "Popescu", "Reid", "Shah", "Foster", "Yilmaz", "Doyle", "Barker",
)  # fmt: skip
WARDS = (
    "Abbey", "Alibon", "Becontree", "Chadwell Heath", "Eastbrook", "Eastbury", "Gascoigne",
    "Goresbrook", "Heath", "Longbridge", "Mayesbrook", "Parsloes", "River", "Thames", "Valence",
    "Village", "Whalebone",
)  # fmt: skip
COUNCILLOR_FIRST_NAMES = ("Pat", "Robin", "Kim", "Lee", "Jo", "Chris", "Ash")
COUNCILLOR_LAST_NAMES = (
    "Ellery", "Marsh", "Quinlan", "Hartwell", "Osei", "Lindqvist", "Pryce", "Adebayo",
)  # fmt: skip
MPS = (("Barking", "Dana Holloway MP"), ("Dagenham and Rainham", "Casey Marlow MP"))
# One members' enquiry in MEMBERS_PER_MP comes from an MP rather than a ward councillor.
MEMBERS_PER_MP = 8

CHANNELS = ("web", "email", "phone", "letter", "in_person", "portal")
MEMBER_CHANNELS = ("portal", "portal", "email")

_REF_PREFIX = "CS"


def demo_cases() -> list[DemoCase]:
    """The demo council's cases, the same on every call, in order of receipt."""
    rng = random.Random(2019)
    calendar = WorkingCalendar.england_and_wales()
    drafts: list[dict[str, Any]] = []
    for year in YEARS:
        for service in SERVICES:
            drafts += _complaints(service, year, rng, calendar)
            drafts += _compliments(service, year, rng, calendar)
            drafts += _members_casework(service, year, rng, calendar)
    drafts.sort(key=lambda d: (d["received_on"], d["kind"], d["service"], d["team"]))
    _name_and_number(drafts)
    for service, lessons in LESSONS.items():
        _attach_lessons(drafts, service, lessons)
    escalations = _escalate(drafts)
    return [
        DemoCase(_as_json(draft), escalations.get(index, ())) for index, draft in enumerate(drafts)
    ]


def _complaints(
    service: str, year: int, rng: random.Random, calendar: WorkingCalendar
) -> list[dict[str, Any]]:
    teams = _team_sequence(STAGE1_COMPLAINTS[service], year)
    days = _days_to_respond(
        STAGE1_IN_TIME[service][year], (5, STAGE1_TARGET_DAYS), (STAGE1_TARGET_DAYS + 1, 40), rng
    )
    natures = _shuffled(NATURES[service], year, rng)
    outcomes = _shuffled(OUTCOMES[service], year, rng)
    drafts = []
    for index, (team, received_on, taken, nature, outcome) in enumerate(
        zip(teams, _spread(len(teams), year, calendar), days, natures, outcomes, strict=True)
    ):
        responded_on = _add(calendar, received_on, taken)
        drafts.append(
            {
                "kind": "complaint",
                "service": service,
                "team": team,
                "received_on": received_on,
                "nature": nature,
                "outcome": outcome,
                "acknowledged_on": _add(calendar, received_on, min(1 + index % 3, taken)),
                "responded_on": responded_on,
                "closed_on": _add(calendar, responded_on, 2 + index % 4),
            }
        )
    return drafts


def _compliments(
    service: str, year: int, rng: random.Random, calendar: WorkingCalendar
) -> list[dict[str, Any]]:
    teams = _team_sequence(COMPLIMENTS[service], year)
    published: dict[str, list[str]] = {}
    if year == 2018:
        for team, text in PUBLISHED_COMPLIMENTS[service]:
            published.setdefault(team, []).append(text)
    private = PRIVATE_COMPLIMENTS[service]
    start = rng.randrange(len(private))
    drafts = []
    for index, (team, received_on) in enumerate(
        zip(teams, _spread(len(teams), year, calendar), strict=True)
    ):
        queue = published.get(team)
        consent = bool(queue)
        text = queue.pop(0) if queue else private[(start + index) % len(private)]
        drafts.append(
            {
                "kind": "compliment",
                "service": service,
                "team": team,
                "received_on": received_on,
                "compliment_text": text,
                "publication_consent": consent,
                "acknowledged_on": _add(calendar, received_on, 1),
                "closed_on": _add(calendar, received_on, 2 + index % 4),
            }
        )
    return drafts


def _members_casework(
    service: str, year: int, rng: random.Random, calendar: WorkingCalendar
) -> list[dict[str, Any]]:
    teams = _team_sequence(MEMBERS_CASEWORK[service], year)
    days = _days_to_respond(
        MEMBERS_IN_TIME[service][year], (2, MEMBERS_TARGET_DAYS), (MEMBERS_TARGET_DAYS + 1, 25), rng
    )
    drafts = []
    for index, (team, received_on, taken) in enumerate(
        zip(teams, _spread(len(teams), year, calendar), days, strict=True)
    ):
        responded_on = _add(calendar, received_on, taken)
        drafts.append(
            {
                "kind": "member_enquiry",
                "service": service,
                "team": team,
                "received_on": received_on,
                "acknowledged_on": _add(calendar, received_on, 1),
                "responded_on": responded_on,
                "closed_on": _add(calendar, responded_on, 1 + index % 3),
            }
        )
    return drafts


def _team_sequence(counts: Mapping[str, Mapping[int, int]], year: int) -> list[str]:
    """Each team's cases spread evenly through the year, interleaved with the other teams'."""
    slots: list[tuple[float, int, str]] = []
    for order, (team, by_year) in enumerate(counts.items()):
        count = by_year.get(year, 0)
        slots += [((2 * j + 1) / (2 * count), order, team) for j in range(count)]
    return [team for _, _, team in sorted(slots)]


def _spread(count: int, year: int, calendar: WorkingCalendar) -> list[date]:
    """`count` working days spread evenly over the financial year, in order."""
    fy = FinancialYear(year)
    span = (fy.last_day - fy.first_day).days + 1
    days = []
    for index in range(count):
        day = fy.first_day + timedelta(days=(2 * index + 1) * span // (2 * count))
        step = timedelta(days=1)
        while not calendar.is_working_day(day):
            if day >= fy.last_day:
                step = timedelta(days=-1)
            day += step
        days.append(day)
    return days


def _days_to_respond(
    in_time: tuple[int, int],
    on_time_range: tuple[int, int],
    late_range: tuple[int, int],
    rng: random.Random,
) -> list[int]:
    """Working days taken per case, so that exactly `in_time[0]` of `in_time[1]` are in time."""
    on_time, total = in_time
    late = set(rng.sample(range(total), total - on_time))
    return [rng.randint(*(late_range if i in late else on_time_range)) for i in range(total)]


def _shuffled(counts: Mapping[str, Mapping[int, int]], year: int, rng: random.Random) -> list[str]:
    values = [value for value, by_year in counts.items() for _ in range(by_year.get(year, 0))]
    rng.shuffle(values)
    return values


def _add(calendar: WorkingCalendar, day: date, working_days: int) -> date:
    result = calendar.add_working_days(day, working_days)
    assert result is not None  # only an open pause gives None, and there are no pauses here
    return result


def _name_and_number(drafts: list[dict[str, Any]]) -> None:
    """References in order of receipt within each year, then people and channels."""
    numbers: dict[int, int] = {}
    members = 0
    for index, draft in enumerate(drafts):
        fy = FinancialYear.containing(draft["received_on"])
        numbers[fy.start_year] = number = numbers.get(fy.start_year, 0) + 1
        yy = f"{fy.start_year % 100:02d}{(fy.start_year + 1) % 100:02d}"
        draft["external_ref"] = f"{_REF_PREFIX}-{yy}-{number:04d}"
        draft["person"] = _person(index)
        if draft["kind"] == "member_enquiry":
            draft["channel"] = MEMBER_CHANNELS[members % len(MEMBER_CHANNELS)]
            if members % MEMBERS_PER_MP == MEMBERS_PER_MP - 1:
                constituency, mp = MPS[(members // MEMBERS_PER_MP) % len(MPS)]
                draft |= {
                    "enquirer_role": "mp",
                    "enquirer": {"name": mp},
                    "ward_or_constituency": constituency,
                }
            else:
                ward = members % len(WARDS)
                draft |= {
                    "enquirer_role": "councillor",
                    "enquirer": {"name": _councillor(ward, members)},
                    "ward_or_constituency": WARDS[ward],
                }
            members += 1
        else:
            draft["channel"] = CHANNELS[index % len(CHANNELS)]


def _person(index: int) -> dict[str, str]:
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    last = LAST_NAMES[index % len(LAST_NAMES)]
    person = {"name": f"{first} {last}"}
    if index % 2 == 0:
        person["email"] = f"{first.lower()}.{last.lower()}@example.org"
    return person


def _councillor(ward: int, enquiry: int) -> str:
    """One of the ward's three councillors; the name lists' coprime lengths keep all 51 apart."""
    seat = ward * 3 + enquiry % 3
    first = COUNCILLOR_FIRST_NAMES[seat % len(COUNCILLOR_FIRST_NAMES)]
    last = COUNCILLOR_LAST_NAMES[seat % len(COUNCILLOR_LAST_NAMES)]
    return f"Cllr {first} {last}"


def _attach_lessons(drafts: list[dict[str, Any]], service: str, lessons: Sequence[Lesson]) -> None:
    """Each lesson onto the first upheld or partly upheld 2018/19 complaint it fits."""
    candidates = [
        draft
        for draft in drafts
        if draft["kind"] == "complaint"
        and draft["service"] == service
        and FinancialYear.containing(draft["received_on"]).start_year == 2018
        and draft["outcome"] in ("upheld", "partly_upheld")
    ]
    for lesson in lessons:
        draft = next(
            draft
            for draft in candidates
            if "lessons_learned" not in draft
            and lesson.team in (None, draft["team"])
            and lesson.nature in (None, draft["nature"])
        )
        draft["lessons_learned"] = lesson.text
        # The report printed them: they were cleared for publication.
        draft["lessons_publishable"] = True


# The LGSCO's service category of each service area's cases.
SERVICE_CATEGORIES = {
    "children": "education_and_childrens_services",
    "adults": "adult_care_services",
    "education": "education_and_childrens_services",
}


def _categorised(team: str, step: DemoEscalation) -> DemoEscalation:
    """An Ombudsman case filed under its service's category, as the Ombudsman files it."""
    if step.payload["stage"] != "ombudsman_investigation":
        return step
    category = SERVICE_CATEGORIES[team.split("-", 1)[0]]
    return replace(step, payload=step.payload | {"service_category": category})


def _escalate(drafts: list[dict[str, Any]]) -> dict[int, tuple[DemoEscalation, ...]]:
    """Each chain onto its complaint, by index into `drafts`."""
    chosen: dict[int, tuple[DemoEscalation, ...]] = {}
    lone_cases = (
        _Chain(team, (_ombudsman(reference, opened_on, decision, decided),), OMBUDSMAN_GAP_DAYS)
        for team, reference, opened_on, decision, decided in OMBUDSMAN_CASES
    )
    for chain in (*CHAINS, *lone_cases):
        opened_on = date.fromisoformat(chain.steps[0].payload["opened_on"])
        latest = opened_on - timedelta(days=chain.gap_days)
        candidates = [
            index
            for index, draft in enumerate(drafts)
            if draft["kind"] == "complaint"
            and draft["team"] == chain.team
            and draft["responded_on"] <= latest
            and index not in chosen
        ]
        if not candidates:
            raise LookupError(f"no {chain.team} complaint answered by {latest} to escalate")
        recent = opened_on - RECENT_ANSWER
        best = max(
            candidates,
            key=lambda i: (
                drafts[i]["responded_on"] >= recent,
                drafts[i]["outcome"] != "upheld",
                drafts[i]["responded_on"],
            ),
        )
        chosen[best] = tuple(_categorised(chain.team, step) for step in chain.steps)
    return chosen


_FIELD_ORDER = (
    "source_system",
    "external_ref",
    "kind",
    "service",
    "team",
    "channel",
    "received_on",
    "person",
    "nature",
    "outcome",
    "lessons_learned",
    "lessons_publishable",
    "compliment_text",
    "publication_consent",
    "enquirer_role",
    "enquirer",
    "ward_or_constituency",
    "acknowledged_on",
    "responded_on",
    "closed_on",
)


def _as_json(draft: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body of POST /v1/feedback: dates as ISO strings, fields in a readable order."""
    item = {**draft, "source_system": DEMO_SOURCE}
    return {
        key: item[key].isoformat() if isinstance(item[key], date) else item[key]
        for key in _FIELD_ORDER
        if key in item
    }

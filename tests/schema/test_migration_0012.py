"""Migration 0012 on a database that already holds Ombudsman cases: every decision value held
maps onto the Ombudsman's own categories and back again unchanged, a public interest report
held starts its s.31 duty, and what the older schema cannot hold goes on the way down."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from services.api.domain.profile import DEMO_PROFILE, apply_profile, read_profile
from services.api.storage.database import make_engine, make_sessionmaker
from services.api.storage.migrate import downgrade, revision_before, upgrade

BEFORE = revision_before("b5d3e8a1c7f4")  # the head before 0012
# Every decision value 0009 held, on a case of its own: reference -> decision.
HELD = {
    "18 000 001": "fault_injustice",
    "18 000 002": "fault_no_injustice",
    "18 000 003": "no_fault",
    "18 000 004": "closed_after_initial_enquiries",
    "18 000 005": "premature",
    "18 000 006": "withdrawn",
    "18 000 007": None,
}
# What each becomes: (decision, closure_reason).
MAPPED = {
    "18 000 001": ("fault_injustice", None),
    "18 000 002": ("fault_no_injustice", None),
    "18 000 003": ("no_fault", None),
    "18 000 004": ("assessed_and_closed", None),
    "18 000 005": ("premature", None),
    "18 000 006": ("assessed_and_closed", "withdrawn"),
    "18 000 007": (None, None),
}
REPORTED = "18 000 001"


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _sql(url: str, statement: str, *args: Any) -> list[asyncpg.Record]:
    db = await asyncpg.connect(_dsn(url))
    try:
        return list(await db.fetch(statement, *args))
    finally:
        await db.close()


async def _reference_data(url: str) -> None:
    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            # The reference data 0009 knew: population estimates came with 0012.
            await apply_profile(
                session, read_profile(DEMO_PROFILE).model_copy(update={"populations": []})
            )
    finally:
        await engine.dispose()


async def _hold_cases_of_0009(url: str) -> None:
    db = await asyncpg.connect(_dsn(url))
    try:
        for number, (reference, decision) in enumerate(HELD.items()):
            item = await db.fetchval(
                "INSERT INTO feedback_item (service, team, source_system, external_ref, channel,"
                " received_on, kind, procedure, status, lessons_publishable,"
                " request_fingerprint) VALUES ('adults', 'adults-disability', 'crm', $1,"
                " 'email', '2018-04-02', 'complaint', 'adults_statutory', 'open', false, 'x')"
                " RETURNING id",
                f"OLD-{number}",
            )
            await db.execute(
                "INSERT INTO escalation (item_id, stage, status, opened_on, lgsco_reference,"
                " decision_on, decision, public_interest_report) VALUES ($1,"
                " 'ombudsman_investigation', $2, '2018-05-01', $3, $4, $5, $6)",
                item,
                "open" if decision is None else "completed",
                reference,
                None if decision is None else date(2019, 3, 12),
                decision,
                reference == REPORTED,
            )
        await db.execute(
            "INSERT INTO escalation (item_id, stage, status, opened_on) SELECT id,"
            " 'stage2_investigation', 'open', '2018-06-01' FROM feedback_item"
            " WHERE external_ref = 'OLD-0'"
        )
    finally:
        await db.close()


def _decisions(url: str) -> dict[str, tuple[Any, ...]]:
    rows = asyncio.run(
        _sql(
            url,
            "SELECT lgsco_reference, decision, decision_on FROM escalation"
            " WHERE lgsco_reference IS NOT NULL",
        )
    )
    return {r["lgsco_reference"]: (r["decision"], r["decision_on"]) for r in rows}


def test_0012_maps_every_decision_held_and_maps_it_back(scratch_database_url: str) -> None:
    url = scratch_database_url
    upgrade(url, BEFORE)
    asyncio.run(_reference_data(url))
    asyncio.run(_hold_cases_of_0009(url))
    held = _decisions(url)

    upgrade(url)
    rows = asyncio.run(
        _sql(
            url,
            "SELECT lgsco_reference, stage, ombudsman, decision, closure_reason,"
            " satisfactory_remedy_provided, service_category FROM escalation",
        )
    )
    cases = {r["lgsco_reference"]: r for r in rows if r["lgsco_reference"]}
    assert {ref: (r["decision"], r["closure_reason"]) for ref, r in cases.items()} == MAPPED
    assert {r["ombudsman"] for r in cases.values()} == {"lgsco"}
    # Nobody recorded these: they stay unknown rather than be guessed.
    assert {r["satisfactory_remedy_provided"] for r in cases.values()} == {None}
    assert {r["service_category"] for r in cases.values()} == {None}
    [stage2] = [r for r in rows if r["stage"] == "stage2_investigation"]
    assert stage2["ombudsman"] is None
    duties = asyncio.run(
        _sql(
            url,
            "SELECT e.lgsco_reference, r.due_on, r.completed_on FROM remedy r"
            " JOIN escalation e ON e.id = r.escalation_id"
            " WHERE r.type = 'public_interest_report_response'",
        )
    )
    assert [(d["lgsco_reference"], str(d["due_on"]), d["completed_on"]) for d in duties] == [
        (REPORTED, "2019-06-11", None)
    ]
    # A case the council never logged can be held now, and the population.
    asyncio.run(
        _sql(
            url,
            "INSERT INTO escalation (stage, ombudsman, status, opened_on, lgsco_reference,"
            " decision_on, decision) VALUES ('ombudsman_investigation', 'lgsco', 'completed',"
            " '2019-05-27', '19 000 001', '2019-06-03', 'another_body')",
        )
    )
    asyncio.run(_sql(url, "INSERT INTO population_estimate VALUES (2021, 218900)"))

    downgrade(url, BEFORE)
    assert _decisions(url) == held
    assert asyncio.run(_sql(url, "SELECT id FROM remedy")) == []
    tables = asyncio.run(
        _sql(url, "SELECT tablename FROM pg_tables WHERE tablename = 'population_estimate'")
    )
    assert tables == []
    # And up again, to the same categories.
    upgrade(url)
    again = asyncio.run(
        _sql(url, "SELECT lgsco_reference, decision, closure_reason FROM escalation")
    )
    assert {
        r["lgsco_reference"]: (r["decision"], r["closure_reason"])
        for r in again
        if r["lgsco_reference"]
    } == MAPPED


def test_0012_holds_the_lgsco_to_its_categories(scratch_database_url: str) -> None:
    url = scratch_database_url
    upgrade(url)
    asyncio.run(_reference_data(url))
    insert = (
        "INSERT INTO escalation (stage, ombudsman, status, opened_on, lgsco_reference,"
        " decision_on, decision, closure_reason, satisfactory_remedy_provided)"
        " VALUES ('ombudsman_investigation', $1, 'completed', '2019-05-27', $2, '2019-06-03',"
        " $3, $4, $5)"
    )
    refused = [
        ("lgsco", "19 000 002", "withdrawn", None, None),
        ("lgsco", "19 000 003", "no_fault", "late", None),
        ("lgsco", "19 000 004", "no_fault", None, True),
        (None, "19 000 005", "no_fault", None, None),
    ]
    for values in refused:
        try:
            asyncio.run(_sql(url, insert, *values))
        except asyncpg.CheckViolationError:
            continue
        raise AssertionError(f"the database took {values}")
    asyncio.run(_sql(url, insert, "lgsco", "19 000 006", "fault_injustice", None, True))

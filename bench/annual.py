"""The annual report case: a million items over ten financial years; the reporter compiles one
year's annual report and Ombudsman ledger through the API, against the raw SQL behind them.

`python -m bench.annual` runs it on its own PostgreSQL and API; `measure` runs it against a
database and API already up (an empty, migrated database with its reference data).

- The data is made in SQL (INSERT ... SELECT from generate_series): items of every kind, team
  and nature of the reference data with their clock dates, Stage 2, Stage 3 and Ombudsman
  escalations with findings, recommendations and decisions, and remedies in pence; then
  VACUUM ANALYZE, as autovacuum would have done on a database that old.
- Compile time: `reporter annual` (JSON and CSV) and `reporter ledger`, each in its own
  process, from its first request to the command's return (its files written); the
  interpreter's start and imports are left out.
- The reporter's peak memory: the larger peak resident set (VmHWM) of the two processes.
- The baseline: the statements the API executes for those requests, built by the same
  functions of `services.api.domain.stats`, sent with asyncpg one after the other.
- Each statement's plan (EXPLAIN ANALYZE, and the generic plan of the prepared statement),
  and whether it reads an index.

Both sides run warm: once to warm up, then the best of `--rounds`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

FIRST_YEAR = 2015  # 2015-16 ...
YEARS = 10  # ... to 2024-25
REPORT_YEAR = "2023-24"
ITEMS = 1_000_000
SOURCE_SYSTEM = "bench-annual"

# --- the data -------------------------------------------------------------------------------


def _add_wd(day: str, days: str) -> str:
    """SQL for the date `days` working days after `day` (Monday to Friday; bank holidays are
    left out): day 1 is the first working day after `day`, as the API counts. Plain integer
    arithmetic, so that it costs next to nothing per row."""
    dow = f"(({day}) - date '2000-01-03') % 7"  # 0 Monday ... 6 Sunday
    friday = f"(({day}) - CASE {dow} WHEN 5 THEN 1 WHEN 6 THEN 2 ELSE 0 END)"
    return f"({friday} + ({days}) + 2 * ((({days}) + least({dow}, 4)) / 5))"


# Teams active in each financial year, numbered; natures of each service.
_REFERENCE = """
CREATE TEMP TABLE bench_year AS
SELECT y AS fy,
       array_agg(t.service ORDER BY s.position, s.code, t.position, t.code) AS services,
       array_agg(t.code ORDER BY s.position, s.code, t.position, t.code) AS teams,
       array_agg(s.complaint_procedure ORDER BY s.position, s.code, t.position, t.code)
           AS procedures
FROM generate_series({first}, {last}) AS y
JOIN team t ON t.active_from <= make_date(y + 1, 3, 31)
           AND (t.active_to IS NULL OR t.active_to >= make_date(y, 4, 1))
JOIN service_area s ON s.code = t.service
GROUP BY y;
CREATE TEMP TABLE bench_nature AS
SELECT service, array_agg(code ORDER BY position, code) AS natures FROM nature GROUP BY service;
ANALYZE bench_year;
ANALYZE bench_nature;
"""

COUNCILLORS, MPS = 51, 3
_PEOPLE = """
INSERT INTO person (name)
SELECT CASE WHEN g <= $1::int THEN 'Councillor ' || g ELSE 'MP ' || (g - $1::int) END
FROM generate_series(1, $1::int + $2::int) AS g
ORDER BY g
RETURNING id
"""

_LESSONS = [
    "Letters now say who the allocated worker is and how to reach them.",
    "Managers check that assessments are shared with families before meetings.",
    "Staff were reminded to return calls within one working day.",
    "Case notes are now checked for accuracy at supervision.",
    "Charging letters explain how the charge was worked out.",
    "The service now confirms changes to care packages in writing.",
    "Minutes of meetings are sent within ten working days.",
    "A named contact is given when a worker is on leave.",
    "Transport arrangements are confirmed a week before the start of term.",
    "Complaint responses now set out what will change and by when.",
    "Team briefings covered recording of contact with foster carers.",
    "The referral form was simplified after feedback.",
]
_COMPLIMENTS = [
    "Thank you for the support my family received over the last year.",
    "The social worker was kind, patient and always kept us informed.",
    "I want to thank the team for arranging the care so quickly.",
    "The occupational therapist made a real difference to my mother's life.",
    "Thank you for helping us find a school place close to home.",
    "Our worker listened and explained every step clearly.",
    "The reablement staff were professional and caring.",
    "Thank you for sorting out the transport so promptly.",
]
_RECOMMENDATIONS = [
    "Apologise to the family for the delay.",
    "Review the assessment within 28 days.",
    "Remind staff of the recording standards.",
    "Share the learning from this case at the next team meeting.",
    "Write to the complainant confirming the support plan.",
    "Review how meeting minutes are circulated.",
    "Check that charging letters explain the calculation.",
    "Provide a named contact for the family.",
]


def _sql_text_array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


# One row per item, ids in order of receipt (as a CRM's would be). The random
# numbers are drawn once per row (a materialised CTE) so that each choice below uses its own.
_ITEMS = f"""
INSERT INTO feedback_item (
    id, service, team, source_system, external_ref, channel, received_on, kind, procedure, nature,
    outcome, lessons_learned, lessons_publishable, compliment_text, publication_consent,
    enquirer_role, enquirer_id,
    ward_or_constituency, status, acknowledged_on, acknowledge_due_on, due_on, responded_on,
    closed_on, working_days_taken, on_time, request_fingerprint, created_at, updated_at)
WITH base AS MATERIALIZED (
    SELECT i,
           $1::date + ((i - 1)::bigint * $2 / $3)::int AS received_on,
           random() AS r_kind, random() AS r_team, random() AS r_nature, random() AS r_channel,
           random() AS r_outcome, random() AS r_days, random() AS r_status, random() AS r_extra
    FROM generate_series(1, $3) AS i
), typed AS (
    SELECT b.*,
           CASE WHEN r_kind < 0.62 THEN 'complaint'
                WHEN r_kind < 0.88 THEN 'member_enquiry'
                ELSE 'compliment' END AS kind,
           extract(year FROM received_on)::int
               - CASE WHEN extract(month FROM received_on) < 4 THEN 1 ELSE 0 END AS fy
    FROM base b
), placed AS (
    SELECT t.*, y.services[t.slot] AS service, y.teams[t.slot] AS team,
           y.procedures[t.slot] AS service_procedure
    FROM (SELECT t.*, 1 + floor(cardinality(y.teams) * power(t.r_team, 1.3))::int AS slot
          FROM typed t JOIN bench_year y ON y.fy = t.fy) t
    JOIN bench_year y ON y.fy = t.fy
), clocked AS (
    SELECT p.*, bn.natures,
           CASE WHEN p.kind = 'member_enquiry' THEN 10
                WHEN p.kind = 'complaint' AND p.service_procedure = 'children_statutory' THEN 10
                WHEN p.kind = 'complaint' THEN 20 END AS target,
           CASE WHEN p.kind = 'complaint' AND p.service_procedure = 'adults_statutory' THEN 3
                WHEN p.kind = 'complaint' AND p.service_procedure = 'corporate' THEN 5
           END AS ack_target
    FROM placed p LEFT JOIN bench_nature bn ON bn.service = p.service
), fated AS MATERIALIZED (
    SELECT p.*,
           CASE WHEN p.kind = 'compliment' THEN 'closed'
                WHEN p.received_on > $4::date - 90 AND p.r_status < 0.04 THEN 'open'
                WHEN p.kind = 'complaint' AND p.r_status >= 0.97 THEN 'withdrawn'
                WHEN p.received_on > $4::date - 60 AND p.r_status >= 0.90 THEN 'responded'
                ELSE 'closed' END AS status,
           -- Working days taken to answer: about four in five on time.
           CASE WHEN p.r_days < 0.78 THEN 1 + floor(p.r_days / 0.78 * p.target)
                ELSE p.target + 1 + floor((p.r_days - 0.78) / 0.22 * p.target * 1.5)
           END::int AS wd
    FROM clocked p
), answered AS MATERIALIZED (
    SELECT f.*,
           CASE WHEN f.status IN ('responded', 'closed') AND f.kind <> 'compliment'
                THEN {_add_wd("f.received_on", "f.wd")} END AS responded_on,
           CASE WHEN f.kind <> 'complaint' THEN NULL
                WHEN f.status = 'withdrawn' THEN 'withdrawn'
                WHEN f.status = 'open' THEN NULL
                WHEN f.r_outcome < 0.27 THEN 'upheld'
                WHEN f.r_outcome < 0.52 THEN 'partly_upheld'
                WHEN f.r_outcome < 0.93 THEN 'not_upheld'
                ELSE 'resolved_on_receipt' END AS outcome
    FROM fated f
)
SELECT $9::bigint + i, service, team, '{SOURCE_SYSTEM}', 'BA-' || lpad(i::text, 7, '0'),
       CASE WHEN kind = 'member_enquiry'
            THEN (ARRAY['email', 'portal', 'phone'])[1 + floor(r_channel * 3)::int]
            ELSE (ARRAY['web', 'web', 'email', 'email', 'phone', 'letter', 'in_person'])
                 [1 + floor(r_channel * 7)::int] END,
       received_on, kind,
       CASE WHEN kind = 'complaint' THEN service_procedure END,
       CASE WHEN kind = 'complaint' AND r_nature < 0.96
            THEN natures[1 + floor(r_nature / 0.96 * cardinality(natures))::int] END,
       outcome,
       CASE WHEN outcome IN ('upheld', 'partly_upheld') AND r_extra < 0.3
            THEN ({_sql_text_array(_LESSONS)})[1 + floor(r_extra / 0.3 * {len(_LESSONS)})::int]
       END,
       -- Every lesson cleared for publication, as the report prints them.
       CASE WHEN kind = 'complaint'
            THEN coalesce(outcome IN ('upheld', 'partly_upheld') AND r_extra < 0.3, false) END,
       CASE WHEN kind = 'compliment'
            THEN ({_sql_text_array(_COMPLIMENTS)})
                 [1 + floor(r_nature * {len(_COMPLIMENTS)})::int] END,
       CASE WHEN kind = 'compliment' THEN r_extra < 0.12 END,
       CASE WHEN kind = 'member_enquiry'
            THEN CASE WHEN r_extra < 0.8 THEN 'councillor' ELSE 'mp' END END,
       CASE WHEN kind = 'member_enquiry'
            THEN CASE WHEN r_extra < 0.8 THEN $5 + floor(r_extra / 0.8 * $6)::int
                      ELSE $7 + floor((r_extra - 0.8) / 0.2 * $8)::int END END,
       CASE WHEN kind = 'member_enquiry'
            THEN CASE WHEN r_extra < 0.8 THEN 'Ward ' || (1 + floor(r_extra / 0.8 * 17)::int)
                      ELSE 'Constituency ' || (1 + floor((r_extra - 0.8) / 0.2 * 2)::int) END
       END,
       status,
       CASE WHEN kind = 'complaint' AND NOT (status = 'open' AND r_channel < 0.5)
            THEN {_add_wd("received_on", "least(1 + floor(r_channel * 3)::int, wd)")} END,
       CASE WHEN ack_target IS NOT NULL THEN {_add_wd("received_on", "ack_target")} END,
       CASE WHEN target IS NOT NULL THEN {_add_wd("received_on", "target")} END,
       responded_on,
       CASE WHEN status = 'closed' AND kind = 'compliment'
            THEN received_on + floor(r_days * 10)::int
            WHEN status = 'closed' THEN responded_on + floor(r_status * 10)::int END,
       CASE WHEN responded_on IS NOT NULL THEN wd END,
       CASE WHEN responded_on IS NOT NULL THEN wd <= target END,
       md5(i::text) || md5(i::text || 'x'),
       (received_on + time '09:30')::timestamptz,
       (coalesce(responded_on, received_on) + time '16:45')::timestamptz
FROM answered
"""

# Escalations of answered complaints: Stage 2 (children's and corporate procedures), Stage 3
# (children's, after a completed Stage 2) and the Ombudsman; nothing dated after yesterday.
_STAGE2 = f"""
WITH candidate AS MATERIALIZED (
    SELECT id, responded_on, random() AS r1, random() AS r2, random() AS r3
    FROM feedback_item
    WHERE source_system = '{SOURCE_SYSTEM}' AND kind = 'complaint'
      AND outcome IN ('upheld', 'partly_upheld', 'not_upheld')
      AND procedure IN ('children_statutory', 'corporate')
), opened AS (
    SELECT id, responded_on + 5 + floor(r2 * 30)::int AS opened_on, r3
    FROM candidate WHERE r1 < 0.07
), timed AS (
    SELECT id, opened_on, {_add_wd("opened_on", "15 + floor(r3 * 45)::int")} AS done_on
    FROM opened WHERE opened_on < current_date
)
INSERT INTO escalation (item_id, stage, status, opened_on, due_on, completed_on)
SELECT id, 'stage2_investigation',
       CASE WHEN done_on < current_date THEN 'completed' ELSE 'open' END,
       opened_on, {_add_wd("opened_on", "25")},
       CASE WHEN done_on < current_date THEN done_on END
FROM timed ORDER BY opened_on, id
"""

_STAGE3 = f"""
WITH candidate AS MATERIALIZED (
    SELECT e.item_id, e.completed_on, random() AS r1, random() AS r2, random() AS r3,
           random() AS r4
    FROM escalation e JOIN feedback_item i ON i.id = e.item_id
    WHERE e.id > $1 AND e.stage = 'stage2_investigation' AND e.status = 'completed'
      AND i.procedure = 'children_statutory'
), opened AS (
    SELECT item_id, completed_on + 5 + floor(r2 * 20)::int AS opened_on, r3, r4
    FROM candidate WHERE r1 < 0.2
), timed AS (
    SELECT item_id, opened_on, {_add_wd("opened_on", "10 + floor(r3 * 20)::int")} AS panel_on,
           r4
    FROM opened WHERE opened_on < current_date
)
INSERT INTO escalation (item_id, stage, status, opened_on, due_on, panel_on, completed_on,
                        outcome)
SELECT item_id, 'stage3_review',
       CASE WHEN panel_on + 7 < current_date THEN 'completed' ELSE 'open' END,
       opened_on, {_add_wd("opened_on", "30")}, panel_on,
       CASE WHEN panel_on + 7 < current_date THEN panel_on + 7 END,
       CASE WHEN panel_on + 7 >= current_date THEN NULL
            WHEN r4 < 0.25 THEN 'upheld' WHEN r4 < 0.45 THEN 'partly_upheld'
            ELSE 'not_upheld' END
FROM timed ORDER BY opened_on, item_id
"""

_OMBUDSMAN = f"""
WITH candidate AS MATERIALIZED (
    SELECT i.id, greatest(i.responded_on, max(e.completed_on)) AS after_on,
           bool_or(e.stage IS NOT NULL) AS escalated,
           random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5
    FROM feedback_item i LEFT JOIN escalation e ON e.item_id = i.id
    WHERE i.source_system = '{SOURCE_SYSTEM}' AND i.kind = 'complaint'
      AND i.outcome IN ('upheld', 'partly_upheld', 'not_upheld')
    GROUP BY i.id, i.responded_on
), opened AS (
    SELECT id, after_on + 20 + floor(r2 * 180)::int AS opened_on, r3, r4, r5
    FROM candidate
    WHERE CASE WHEN escalated THEN r1 < 0.12 ELSE r1 < 0.008 END
), decided AS (
    SELECT id, opened_on, opened_on + 30 + floor(r3 * 300)::int AS decision_on, r4, r5
    FROM opened WHERE opened_on < current_date
)
INSERT INTO escalation (item_id, stage, ombudsman, status, opened_on, completed_on,
                        lgsco_reference, decision_on, decision, public_interest_report)
SELECT id, 'ombudsman_investigation', 'lgsco',
       CASE WHEN decision_on < current_date THEN 'completed' ELSE 'open' END,
       opened_on,
       CASE WHEN decision_on < current_date THEN decision_on END,
       to_char(opened_on, 'YY') || ' ' || lpad(id::text, 7, '0'),
       CASE WHEN decision_on < current_date THEN decision_on END,
       CASE WHEN decision_on >= current_date THEN NULL
            WHEN r4 < 0.45 THEN 'fault_injustice' WHEN r4 < 0.55 THEN 'fault_no_injustice'
            WHEN r4 < 0.70 THEN 'no_fault' WHEN r4 < 0.90 THEN 'assessed_and_closed'
            WHEN r4 < 0.98 THEN 'premature' ELSE 'another_body' END,
       decision_on < current_date AND r4 < 0.45 AND r5 < 0.02
FROM decided ORDER BY opened_on, id
"""

_POINTS = """
WITH point AS MATERIALIZED (
    SELECT e.id AS escalation_id, g AS position, e.status, random() AS r
    FROM escalation e CROSS JOIN LATERAL generate_series(1, 1 + (e.id % 4)::int) AS g
    WHERE e.id > $1 AND e.stage = 'stage2_investigation'
)
INSERT INTO complaint_point (escalation_id, position, summary, finding)
SELECT escalation_id, position,
       (ARRAY['Delay in responding to the family', 'The assessment did not reflect the needs',
              'Poor communication about the plan', 'The charge was not explained',
              'Records were inaccurate'])[1 + (escalation_id + position) % 5],
       CASE WHEN status <> 'completed' THEN NULL
            WHEN r < 0.3 THEN 'upheld' WHEN r < 0.55 THEN 'partly_upheld'
            ELSE 'not_upheld' END
FROM point ORDER BY escalation_id, position
"""

_RECOMMENDATIONS_SQL = f"""
WITH rec AS MATERIALIZED (
    SELECT e.id AS escalation_id, g AS position, e.status, random() AS r1, random() AS r2
    FROM escalation e
    CROSS JOIN LATERAL generate_series(
        1, CASE e.stage WHEN 'stage2_investigation' THEN (e.id % 4)::int
                        ELSE (e.id % 3)::int END) AS g
    WHERE e.id > $1 AND e.stage IN ('stage2_investigation', 'stage3_review')
), agreed AS (
    SELECT rec.*, CASE WHEN status <> 'completed' THEN NULL WHEN r1 < 0.8 THEN true
                       WHEN r1 < 0.92 THEN false END AS agreed
    FROM rec
)
INSERT INTO recommendation (escalation_id, position, text, agreed, publishable)
SELECT escalation_id, position,
       ({_sql_text_array(_RECOMMENDATIONS)})
       [1 + (escalation_id * 3 + position) % {len(_RECOMMENDATIONS)}],
       agreed, coalesce(agreed, false) AND r2 < 0.3
FROM agreed ORDER BY escalation_id, position
"""

# Remedies agreed on the Ombudsman's findings of fault causing injustice; money in pence.
_REMEDIES = """
WITH remedy_row AS MATERIALIZED (
    SELECT e.id AS escalation_id, e.decision_on, g, random() AS r1, random() AS r2,
           random() AS r3, random() AS r4, random() AS r5
    FROM escalation e CROSS JOIN LATERAL generate_series(1, 1 + (e.id % 3)::int) AS g
    WHERE e.id > $1 AND e.stage = 'ombudsman_investigation' AND e.decision = 'fault_injustice'
), typed AS (
    SELECT r.*,
           CASE WHEN r1 < 0.34 THEN 'apology' WHEN r1 < 0.64 THEN 'financial_payment'
                WHEN r1 < 0.72 THEN 'new_assessment' WHEN r1 < 0.80 THEN 'review_of_arrangements'
                WHEN r1 < 0.87 THEN 'policy_or_procedure_change' WHEN r1 < 0.91 THEN 'refund'
                WHEN r1 < 0.98 THEN 'staff_training' ELSE 'other' END AS type,
           decision_on + 20 + floor(r2 * 70)::int AS due_on
    FROM remedy_row r
), done AS (
    SELECT t.*,
           CASE WHEN r3 < 0.88 THEN greatest(decision_on + 1, due_on - 20 + floor(r4 * 35)::int)
           END AS done_on
    FROM typed t
)
INSERT INTO remedy (escalation_id, type, description, amount_pence, payee_label, due_on,
                    completed_on, evidence)
SELECT escalation_id, type,
       CASE type WHEN 'apology' THEN 'Apologise in writing'
                 WHEN 'financial_payment' THEN 'Pay for the distress and time and trouble caused'
                 WHEN 'refund' THEN 'Refund the charges paid'
                 WHEN 'new_assessment' THEN 'Carry out a new assessment'
                 WHEN 'review_of_arrangements' THEN 'Review the care arrangements'
                 WHEN 'policy_or_procedure_change' THEN 'Review the procedure and report back'
                 WHEN 'staff_training' THEN 'Remind staff of the guidance'
                 ELSE 'Other action agreed with the Ombudsman' END,
       CASE WHEN type IN ('financial_payment', 'refund')
            THEN (1 + floor(r5 * 40)::int) * 2500 END,
       CASE WHEN type IN ('financial_payment', 'refund')
            THEN (ARRAY['Mr B', 'Mrs C', 'Ms D', 'Miss E', 'Mr F', 'Mrs G', 'Mr X', 'Ms Y'])
                 [1 + floor(r5 * 8)::int] END,
       due_on,
       CASE WHEN done_on < current_date THEN done_on END,
       CASE WHEN done_on < current_date THEN 'Confirmed to the Ombudsman' END
FROM done ORDER BY escalation_id, g
"""

_TABLES = ("person", "feedback_item", "escalation", "complaint_point", "recommendation", "remedy")


@contextlib.asynccontextmanager
async def _bulk_load(connection: asyncpg.Connection, table: str) -> AsyncIterator[None]:
    """Load a table as PostgreSQL's manual advises ("Populating a Database"): its plain indexes
    and foreign keys are dropped, then made again from their own definitions once the rows are
    in, which checks every row against each foreign key in one pass. Inside the caller's
    transaction, so the table is never seen without them; CHECK constraints, the primary key
    and unique constraints stay in force throughout."""
    indexes = await connection.fetch(
        """
        SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_index i
        WHERE i.indrelid = $1::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        table,
    )
    foreign_keys = await connection.fetch(
        """
        SELECT conname AS name, pg_get_constraintdef(oid) AS definition
        FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'
        """,
        table,
    )
    for fk in foreign_keys:
        await connection.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{fk["name"]}"')
    for index in indexes:
        await connection.execute(f"DROP INDEX {index['name']}")
    yield
    for index in indexes:
        await connection.execute(index["definition"])
    for fk in foreign_keys:
        await connection.execute(
            f'ALTER TABLE {table} ADD CONSTRAINT "{fk["name"]}" {fk["definition"]}'
        )


@dataclass
class Generated:
    """How much was made, and how long it took."""

    items: int
    escalations: dict[str, int]
    complaint_points: int
    recommendations: int
    remedies: int
    seconds: float
    steps: dict[str, float]


async def generate(database_url: str, items: int = ITEMS, seed: float = 0.2015) -> Generated:
    """Fill an empty, migrated database (with its reference data) with `items` items over ten
    financial years, their escalations and remedies; VACUUM ANALYZE afterwards."""
    started = time.perf_counter()
    first_day = date(FIRST_YEAR, 4, 1)
    last_day = date(FIRST_YEAR + YEARS, 3, 31)
    days = (last_day - first_day).days + 1
    steps: dict[str, float] = {}
    mark = time.perf_counter()

    def step(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        steps[name] = round(now - mark, 2)
        mark = now

    connection = await asyncpg.connect(database_url)
    try:
        held = await connection.fetchval(
            "SELECT count(*) FROM feedback_item WHERE source_system = $1", SOURCE_SYSTEM
        )
        if held:
            raise RuntimeError(f"the database already holds {held} generated items")
        await connection.execute(_REFERENCE.format(first=FIRST_YEAR, last=FIRST_YEAR + YEARS - 1))
        async with connection.transaction():
            await connection.execute("SELECT setseed($1)", seed)
            ids = [r["id"] for r in await connection.fetch(_PEOPLE, COUNCILLORS, MPS)]
            first_id = await connection.fetchval("SELECT coalesce(max(id), 0) FROM feedback_item")
            async with _bulk_load(connection, "feedback_item"):
                await connection.execute(
                    _ITEMS,
                    first_day,
                    days,
                    items,
                    last_day,
                    ids[0],
                    COUNCILLORS,
                    ids[COUNCILLORS],
                    MPS,
                    first_id,
                )
                step("items")
            step("items' indexes and foreign keys")
            await connection.execute(
                "SELECT setval(pg_get_serial_sequence('feedback_item', 'id'), max(id)) "
                "FROM feedback_item"
            )
            # Escalations (and what hangs on them) of this run only: those after this id.
            before = await connection.fetchval("SELECT coalesce(max(id), 0) FROM escalation")
            await connection.execute(_STAGE2)
            await connection.execute(_STAGE3, before)
            await connection.execute(_OMBUDSMAN)
            for statement in (_POINTS, _RECOMMENDATIONS_SQL, _REMEDIES):
                await connection.execute(statement, before)
            step("escalations, points, recommendations, remedies")
        for table in _TABLES:
            await connection.execute(f"VACUUM (ANALYZE) {table}")
        step("vacuum analyze")
        stages = {
            r["stage"]: r["n"]
            for r in await connection.fetch(
                "SELECT stage, count(*) AS n FROM escalation GROUP BY stage ORDER BY stage"
            )
        }
        counts = {
            table: await connection.fetchval(f"SELECT count(*) FROM {table}")
            for table in ("feedback_item", "complaint_point", "recommendation", "remedy")
        }
    finally:
        await connection.close()
    return Generated(
        items=counts["feedback_item"],
        escalations=stages,
        complaint_points=counts["complaint_point"],
        recommendations=counts["recommendation"],
        remedies=counts["remedy"],
        seconds=time.perf_counter() - started,
        steps=steps,
    )


# --- the SQL behind the report --------------------------------------------------------------


@dataclass
class Query:
    """One statement the API executes for the reporter, ready for asyncpg."""

    name: str
    request: str
    sql: str
    params: list[Any]


def _asyncpg_ready(statement: Any) -> tuple[str, list[Any]]:
    """The SQL text and parameters SQLAlchemy's asyncpg dialect sends for a statement."""
    from sqlalchemy.dialects.postgresql.asyncpg import dialect

    compiled = statement.compile(dialect=dialect())
    values = compiled.construct_params()
    processors = compiled._bind_processors
    params = []
    for name in compiled.positiontup or []:
        value = values[name]
        if name in processors:
            value = processors[name](value)
        params.append(getattr(value, "value", value))
    return compiled.string, params


def report_queries(year_slug: str = REPORT_YEAR, as_of: date | None = None) -> list[Query]:
    """The statistics statements behind `reporter annual` and `reporter ledger` for a year, in
    the order the reporter asks for them, with the reporter's own parameters."""
    from services.api.domain import stats
    from services.api.models.base import council_today
    from services.api.models.enums import FeedbackKind
    from services.api.models.stats import EscalationDimension, FeedbackDimension
    from services.api.rules.financial_year import FinancialYear
    from services.reporter import annual

    year = FinancialYear.parse(year_slug)
    both = stats.YearRange(year.previous, year)
    one = stats.YearRange(year, year)
    day = as_of or council_today()
    feedback = [FeedbackDimension(d) for d in annual.FEEDBACK_TABLE_DIMENSIONS]
    complaint_dims = [FeedbackDimension(d) for d in annual.COMPLAINT_DIMENSIONS]
    escalation_dims = [EscalationDimension(d) for d in annual.ESCALATION_DIMENSIONS]
    by_service = [FeedbackDimension.service]
    findings, recommendations = stats.stage2_findings_statements(one)
    lessons, compliments, published = stats.published_texts_statements(year)
    statements = [
        ("feedback by team", "annual", stats.feedback_counts_statement(both, feedback)),
        (
            "complaint timeliness",
            "annual",
            stats.timeliness_statement(
                both, FeedbackKind.complaint, annual.COMPLAINT_WORKING_DAYS, by_service
            ),
        ),
        (
            "casework timeliness",
            "annual",
            stats.timeliness_statement(
                both, FeedbackKind.member_enquiry, annual.CASEWORK_WORKING_DAYS, by_service
            ),
        ),
        (
            "natures and outcomes",
            "annual",
            stats.feedback_counts_statement(one, complaint_dims, kind=FeedbackKind.complaint),
        ),
        ("escalations", "annual", stats.escalation_counts_statement(both, escalation_dims)),
        ("stage 2 findings", "annual", findings),
        ("stage 2 recommendations", "annual", recommendations),
        ("ombudsman ledger", "annual", stats.ombudsman_ledger_statement(year, day)),
        ("lessons learned", "annual", lessons),
        ("published compliments", "annual", compliments),
        ("published recommendations", "annual", published),
        ("ombudsman ledger", "ledger", stats.ombudsman_ledger_statement(year, day)),
    ]
    return [Query(name, request, *_asyncpg_ready(s)) for name, request, s in statements]


INDEX_NODES = ("Index Scan", "Index Only Scan", "Bitmap Index Scan")


def _plan_lines(rows: list[asyncpg.Record]) -> list[str]:
    return [str(r[0]) for r in rows]


def _uses_index(plan: list[str]) -> bool:
    return any(node in line for line in plan for node in INDEX_NODES)


def _range_by_index(plan: list[str]) -> bool:
    """Whether the financial-year range is an index condition: the year's rows are found
    through an index, not by reading every year and filtering."""
    return any(
        line.strip().startswith("Index Cond:") and " >= " in line and " <= " in line
        for line in plan
    )


def _seq_scans(plan: list[str]) -> list[str]:
    """The tables read whole (`Seq Scan on feedback_item`), if any."""
    tables = []
    for line in plan:
        text = line.strip().removeprefix("->").strip()
        if text.startswith(("Seq Scan on ", "Parallel Seq Scan on ")):
            tables.append(text.split(" on ", 1)[1].split()[0])
    return tables


async def explain(
    connection: asyncpg.Connection, query: Query, *, analyze: bool = True
) -> list[str]:
    """EXPLAIN (ANALYZE) of a statement with the parameters the API binds."""
    options = "ANALYZE, BUFFERS" if analyze else "COSTS"
    rows = await connection.fetch(f"EXPLAIN ({options}) {query.sql}", *query.params)
    return _plan_lines(rows)


async def sql_round(connection: asyncpg.Connection, queries: list[Query]) -> list[float]:
    """Run the statements one after the other, as the API receives them: each one's seconds.
    asyncpg prepares each statement once per connection and reuses it, as the API's driver
    does on its pooled connections."""
    seconds = []
    for query in queries:
        began = time.perf_counter()
        await connection.fetch(query.sql, *query.params)
        seconds.append(time.perf_counter() - began)
    return seconds


# --- the reporter ---------------------------------------------------------------------------

# Runs one reporter command in a fresh interpreter; times it from its first request to the
# command's return, by which its files are written, counts its requests, and reads its own peak
# resident set (VmHWM: the parent's `ru_maxrss` of a child would include the parent's own
# memory at the fork). It imports nothing of the API's, as the reporter itself does not.
_REPORTER = """
import resource, sys, time
import httpx
from services.reporter import cli

first = []
requests = [0]

class Counting(httpx.HTTPTransport):
    def handle_request(self, request):
        if not first:
            first.append(time.perf_counter())
        requests[0] += 1
        return super().handle_request(request)

code = cli.main(sys.argv[2:], transport=Counting())
done = time.perf_counter()
try:
    with open("/proc/self/status") as status:
        peak_kb = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
except OSError:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open(sys.argv[1], "w") as out:
    out.write(f"{done - first[0]} {requests[0]} {peak_kb}")
sys.exit(code)
"""


@dataclass
class ReporterRun:
    """One run of `reporter annual` then `reporter ledger`."""

    seconds: float
    requests: int
    peak_mb: float
    files: dict[str, int]


def _reporter(command: list[str], env: dict[str, str], work: Path) -> tuple[float, int, float]:
    """Run one reporter command: (seconds from first request to return, requests, peak MB)."""
    figures = work / "reporter-figures.txt"
    figures.unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, "-c", _REPORTER, str(figures), *command],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"reporter {command[0]} exited with {done.returncode}: {done.stderr.decode()[-2000:]}"
        )
    seconds, requests, peak_kb = figures.read_text().split()
    return float(seconds), int(requests), int(peak_kb) / 1024


def run_reporter(api_base_url: str, reporter_key: str, year: str, out: Path) -> ReporterRun:
    """The reporter compiles the year's annual report (JSON and CSV) and its ledger."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "REPORTER_API_URL": api_base_url,
        "REPORTER_API_KEY": reporter_key,
    }
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    annual_s, annual_n, annual_mb = _reporter(
        ["annual", "--year", year, "--out", str(out)], env, out.parent
    )
    ledger_s, ledger_n, ledger_mb = _reporter(
        ["ledger", "--year", year, "--out", str(out)], env, out.parent
    )
    files = {p.name: p.stat().st_size for p in sorted(out.iterdir())}
    return ReporterRun(annual_s + ledger_s, annual_n + ledger_n, max(annual_mb, ledger_mb), files)


# --- the case -------------------------------------------------------------------------------

TARGET_RATIO = 3.0
TARGET_PEAK_MB = 150.0


async def _compare(
    database_url: str,
    api_base_url: str,
    reporter_key: str,
    year: str,
    queries: list[Query],
    work: Path,
    rounds: int,
) -> tuple[list[ReporterRun], list[list[float]]]:
    """Both sides warmed once, then `rounds` rounds of each, taken in turn, so that a noisy
    neighbour on a shared machine weighs on both alike."""
    connection = await asyncpg.connect(database_url)
    try:
        run_reporter(api_base_url, reporter_key, year, work / "reports")
        await sql_round(connection, queries)
        runs, sql_rounds = [], []
        for _ in range(rounds):
            runs.append(run_reporter(api_base_url, reporter_key, year, work / "reports"))
            sql_rounds.append(await sql_round(connection, queries))
        return runs, sql_rounds
    finally:
        await connection.close()


def measure(
    database_url: str,
    api_base_url: str,
    reporter_key: str,
    work: Path,
    *,
    items: int = ITEMS,
    year: str = REPORT_YEAR,
    rounds: int = 5,
) -> dict[str, Any]:
    """Generate the data, then measure the reporter against the raw SQL; the results as a dict
    (see `table`). `reporter_key` is an API key of the `reporter` role."""
    work.mkdir(parents=True, exist_ok=True)
    made = asyncio.run(generate(database_url, items))
    queries = report_queries(year)

    runs, sql_rounds = asyncio.run(
        _compare(database_url, api_base_url, reporter_key, year, queries, work, rounds)
    )
    plans, generic = asyncio.run(_explain_all(database_url, queries))
    sql_seconds = min(sum(r) for r in sql_rounds)
    each = [min(r[i] for r in sql_rounds) for i in range(len(queries))]

    best = min(runs, key=lambda r: r.seconds)
    peak = max(r.peak_mb for r in runs)
    ratio = best.seconds / sql_seconds
    rows = [
        {
            "name": q.name,
            "request": q.request,
            "seconds": round(seconds, 4),
            "uses_index": _uses_index(plan),
            "year_range_by_index": _range_by_index(plan),
            "seq_scans": _seq_scans(plan),
            "plan": plan,
            "generic_plan_uses_index": _uses_index(general),
            "generic_plan": general,
        }
        for q, seconds, plan, general in zip(queries, each, plans, generic, strict=True)
    ]
    every_index = all(r["uses_index"] and r["generic_plan_uses_index"] for r in rows)
    return {
        "case": "annual report",
        "items": made.items,
        "data": {
            "financial_years": f"{FIRST_YEAR}-{(FIRST_YEAR + 1) % 100:02d} to "
            f"{FIRST_YEAR + YEARS - 1}-{(FIRST_YEAR + YEARS) % 100:02d}",
            "escalations": made.escalations,
            "complaint_points": made.complaint_points,
            "recommendations": made.recommendations,
            "remedies": made.remedies,
            "generated_in_seconds": round(made.seconds, 1),
            "generation_steps": made.steps,
        },
        "year": year,
        "formats": "annual JSON and CSV, ledger JSON and CSV",
        "files": best.files,
        "requests": best.requests,
        "rounds": rounds,
        "compile_seconds": round(best.seconds, 4),
        "compile_runs": [round(r.seconds, 4) for r in runs],
        "sql_seconds": round(sql_seconds, 4),
        "ratio": round(ratio, 2),
        "reporter_peak_mb": round(peak, 1),
        "queries": rows,
        "cpus": os.cpu_count(),
        "targets": [
            {
                "target": f"annual: compile <= {TARGET_RATIO:g}x the SQL alone",
                "met": ratio <= TARGET_RATIO,
                "measured": f"{ratio:.2f}x",
            },
            {
                "target": f"annual: reporter peak memory < {TARGET_PEAK_MB:g} MB",
                "met": peak < TARGET_PEAK_MB,
                "measured": f"{peak:.0f} MB",
            },
            {
                "target": "annual: every stats query uses an index",
                "met": every_index,
                "measured": f"{sum(r['uses_index'] for r in rows)} of {len(rows)} "
                f"(generic plans: {sum(r['generic_plan_uses_index'] for r in rows)})",
            },
        ],
    }


async def _explain_all(
    database_url: str, queries: list[Query]
) -> tuple[list[list[str]], list[list[str]]]:
    """Each statement's plan as planned for its values (EXPLAIN ANALYZE), and its generic plan,
    the one PostgreSQL may settle on for a prepared statement the API has run a few times."""
    connection = await asyncpg.connect(database_url)
    try:
        plans = [await explain(connection, q) for q in queries]
        await connection.execute("SET plan_cache_mode = force_generic_plan")
        generic = [await explain(connection, q, analyze=False) for q in queries]
        return plans, generic
    finally:
        await connection.close()


def _scans(plan: list[str]) -> str:
    """The plan's scan nodes, one after the other: how each table is read."""
    nodes = (*INDEX_NODES, "Seq Scan")
    scans = [
        line.strip().removeprefix("->").strip().split("  (")[0]
        for line in plan
        if any(node in line for node in nodes)
    ]
    return "; ".join(scans)


def table(result: dict[str, Any]) -> str:
    """The case's figures as a plain-text table."""
    data = result["data"]
    lines = [
        f"annual report {result['year']}: {result['items']:,} items over "
        f"{data['financial_years']} (made in {data['generated_in_seconds']:.0f} s); "
        f"{result['cpus']} CPUs shared by the API, the reporter and PostgreSQL",
        "",
        f"{'reporter, ' + str(result['requests']) + ' requests':<34} "
        f"{result['compile_seconds']:>7.3f} s  (best of {result['rounds']}: "
        f"{', '.join(f'{s:.3f}' for s in result['compile_runs'])})",
        f"{'raw SQL, ' + str(len(result['queries'])) + ' statements':<34} "
        f"{result['sql_seconds']:>7.3f} s",
        f"{'ratio':<34} {result['ratio']:>7.2f} x",
        f"{'reporter peak memory':<34} {result['reporter_peak_mb']:>7.0f} MB",
        f"({result['formats']})",
        "",
        "index: the plan reads an index; generic: so does the generic plan of the prepared",
        "statement; year: the financial-year range is itself an index condition",
        "",
        f"{'statement':<26} {'request':<7} {'ms':>7}  index  generic  year  scans",
    ]
    for q in result["queries"]:
        lines.append(
            f"{q['name']:<26} {q['request']:<7} {q['seconds'] * 1000:>7.1f}  "
            f"{'yes' if q['uses_index'] else 'NO':<5}  "
            f"{'yes' if q['generic_plan_uses_index'] else 'NO':<7}  "
            f"{'yes' if q['year_range_by_index'] else 'no':<4}  {_scans(q['plan'])}"
        )
    lines.append("")
    for t in result["targets"]:
        lines.append(f"[{'met' if t['met'] else 'NOT met':>7}] {t['target']}: {t['measured']}")
    return "\n".join(lines)


async def make_reporter_key(url: str) -> str:
    """A new API key of the `reporter` role (statistics and reference data only)."""
    from services.api.domain.access import create_key
    from services.api.models.access import ApiKeyCreate, Role
    from services.api.storage.database import make_engine, make_sessionmaker

    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            created = await create_key(
                session, ApiKeyCreate(name="bench-annual", role=Role.reporter)
            )
    finally:
        await engine.dispose()
    return created.key


def run(items: int, year: str, rounds: int) -> dict[str, Any]:
    """The case on its own PostgreSQL and API, made and removed here."""
    from bench.servers import case_server, prepared_database, running_api

    with case_server("bench-annual-") as (server, work):
        url, _ = prepared_database(server, "feedback_annual")
        key = asyncio.run(make_reporter_key(url))
        with running_api(url, work / "api.log") as api:
            result = measure(
                url, api.base_url, key, work / "case", items=items, year=year, rounds=rounds
            )
        result["postgres"] = server.version()
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.annual", description=__doc__)
    parser.add_argument("--items", type=int, default=ITEMS)
    parser.add_argument("--year", default=REPORT_YEAR, help="financial year, e.g. 2023-24")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, help="also write the results here as JSON")
    args = parser.parse_args(argv)
    result = run(args.items, args.year, args.rounds)
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    return 0 if all(t["met"] for t in result["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())

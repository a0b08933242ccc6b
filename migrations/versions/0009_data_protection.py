"""Keys own their source system, lessons wait to be cleared, fingerprints are keyed, the audit masks

- `api_key.source_system`: what a key's items are recorded under. A key gets the source
  system its own audited creates used most (so a CRM's retries still find its items), else
  one made from its name as `default_source_system` makes it.
- `feedback_item.lessons_publishable`, false for every complaint held (null for other kinds,
  as `publication_consent` is for all but compliments): no lesson was cleared for
  publication, so none is published until someone clears it. The partial index of the
  published lessons follows. Report files compiled before still hold the lessons they
  printed: once the lessons to publish are cleared, queue those years' reports again.
- Request fingerprints (of items and of stored idempotent responses) were a plain SHA-256 of
  the request and become an HMAC of that digest under the server's fingerprint secret
  (`services.api.domain.fingerprints`), so retries made after the upgrade still match. Run
  this with the API's secret (API_FINGERPRINT_SECRET, or the same data folder): a different
  one makes retries of earlier requests look different (409, or 422 for an Idempotency-Key).
- Audit rows that kept personal values nested inside a field (an event's actor and reason
  under `event`) are masked the way the audit masks them now; the append-only trigger is
  set aside for that one statement.

Downgrading keeps the keyed fingerprints and the masks (neither can be undone): the older
code then answers retries of earlier creates with 409.

Revision ID: 7c41d2e9a0b3
Revises: 3b9d41c27a10
Create Date: 2026-11-27 10:00:00.000000
"""

import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "7c41d2e9a0b3"
down_revision: str | None = "3b9d41c27a10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
MASKED = "***"
# The audit's personal fields as of this revision (services/api/domain/audit.py).
PERSONAL_FIELDS = frozenset(
    {
        "name",
        "actor",
        "error",
        "email",
        "phone",
        "address",
        "person",
        "enquirer",
        "compliment_text",
        "lessons_learned",
        "description",
        "evidence",
        "reason",
        "summary",
        "text",
        "payee_label",
        "points",
        "recommendations",
    }
)
_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,79}", re.ASCII)
_NOT_CODE = re.compile(r"[^a-z0-9_-]+", re.ASCII)
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}", re.ASCII)

_USED_SOURCES = """
WITH created AS (
    SELECT key_name, resource_id AS item
      FROM audit_event
     WHERE action = 'create' AND resource_type = 'feedback_item'
    UNION ALL
    SELECT a.key_name, ids.item
      FROM audit_event AS a,
           jsonb_array_elements_text(
               CASE WHEN jsonb_typeof(a.changes -> 'ids' -> 'after') = 'array'
                    THEN a.changes -> 'ids' -> 'after' ELSE '[]'::jsonb END
           ) AS ids (item)
     WHERE a.action = 'bulk_create'
), used AS (
    SELECT c.key_name, i.source_system, count(*) AS n
      FROM created AS c JOIN feedback_item AS i ON i.id::text = c.item
     GROUP BY c.key_name, i.source_system
)
UPDATE api_key AS k
   SET source_system = (
       SELECT u.source_system FROM used AS u
        WHERE u.key_name = k.name
        ORDER BY u.n DESC, u.source_system
        LIMIT 1
   )
"""


def _default_source_system(name: str) -> str:
    # As services.api.domain.access.default_source_system does it.
    if _CODE.fullmatch(name) and name not in ("true", "false", "null"):
        return name
    slug = _NOT_CODE.sub("-", name.lower()).strip("-_")[:70]
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{slug}-{digest}" if slug else f"key-{digest}"


def _masked(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in PERSONAL_FIELDS:
        return MASKED
    if isinstance(value, dict):
        return {key: _masked(key, inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_masked(name, inner) for inner in value]
    return value


def _remasked(changes: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, change in changes.items():
        if isinstance(change, dict) and set(change) <= {"before", "after"}:
            result[name] = {side: _masked(name, value) for side, value in change.items()}
        else:
            result[name] = _masked(name, change)
    return result


def _key_sources(bind: sa.Connection) -> None:
    op.add_column("api_key", sa.Column("source_system", sa.String(length=80), nullable=True))
    bind.execute(sa.text(_USED_SOURCES))
    rest = bind.execute(sa.text("SELECT id, name FROM api_key WHERE source_system IS NULL")).all()
    for key_id, name in rest:
        bind.execute(
            sa.text("UPDATE api_key SET source_system = :source WHERE id = :id"),
            {"source": _default_source_system(name), "id": key_id},
        )
    op.alter_column("api_key", "source_system", nullable=False)


def _rekey(bind: sa.Connection, select: str, update: str, width: int) -> None:
    """Replace each stored SHA-256 hex digest by its HMAC, a batch at a time."""
    from services.api.settings import get_fingerprint_secret

    secret = get_fingerprint_secret()
    after: tuple[Any, ...] = ("",) * width if width > 1 else (0,)
    while True:
        rows = bind.execute(sa.text(select), {f"a{i}": v for i, v in enumerate(after)}).all()
        if not rows:
            return
        after = tuple(rows[-1][:width])
        unkeyed = [row for row in rows if _HEX_DIGEST.fullmatch(row[-1])]
        if not unkeyed:
            continue
        keyed = [
            hmac.new(secret, bytes.fromhex(row[-1]), hashlib.sha256).hexdigest() for row in unkeyed
        ]
        columns = {f"c{i}": [row[i] for row in unkeyed] for i in range(width)}
        bind.execute(sa.text(update), {**columns, "fingerprints": keyed})


def _fingerprints(bind: sa.Connection) -> None:
    held = bind.execute(
        sa.text(
            "SELECT EXISTS (SELECT FROM feedback_item) OR EXISTS (SELECT FROM idempotency_record)"
        )
    ).scalar()
    if not held:
        return  # a new database: no secret is needed yet
    _rekey(
        bind,
        "SELECT id, request_fingerprint FROM feedback_item"
        f" WHERE id > :a0 ORDER BY id LIMIT {BATCH}",
        "UPDATE feedback_item AS f SET request_fingerprint = v.fingerprint"
        " FROM unnest(CAST(:c0 AS bigint[]), CAST(:fingerprints AS text[]))"
        " AS v (id, fingerprint) WHERE f.id = v.id",
        1,
    )
    _rekey(
        bind,
        "SELECT client, key, fingerprint FROM idempotency_record"
        f" WHERE (client, key) > (:a0, :a1) ORDER BY client, key LIMIT {BATCH}",
        "UPDATE idempotency_record AS r SET fingerprint = v.fingerprint"
        " FROM unnest(CAST(:c0 AS text[]), CAST(:c1 AS text[]), CAST(:fingerprints AS text[]))"
        " AS v (client, key, fingerprint) WHERE r.client = v.client AND r.key = v.key",
        2,
    )


def _audit_masks(bind: sa.Connection) -> None:
    op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    after = 0
    while True:
        rows = bind.execute(
            sa.text(
                f"SELECT id, changes FROM audit_event WHERE id > :after ORDER BY id LIMIT {BATCH}"
            ),
            {"after": after},
        ).all()
        if not rows:
            break
        fixed = []
        for audit_id, stored in rows:
            changes = json.loads(stored) if isinstance(stored, str) else stored
            if isinstance(changes, dict) and (remasked := _remasked(changes)) != changes:
                fixed.append((audit_id, remasked))
        if fixed:
            bind.execute(
                sa.text(
                    "UPDATE audit_event AS a SET changes = v.changes"
                    " FROM unnest(CAST(:ids AS bigint[]), CAST(:changes AS jsonb[]))"
                    " AS v (id, changes) WHERE a.id = v.id"
                ),
                {"ids": [i for i, _ in fixed], "changes": [json.dumps(c) for _, c in fixed]},
            )
        after = rows[-1][0]
    op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")


def upgrade() -> None:
    bind = op.get_bind()
    _key_sources(bind)
    op.add_column("feedback_item", sa.Column("lessons_publishable", sa.Boolean(), nullable=True))
    op.execute("UPDATE feedback_item SET lessons_publishable = false WHERE kind = 'complaint'")
    op.drop_index("ix_feedback_item_lessons_received_on", table_name="feedback_item")
    op.create_index(
        "ix_feedback_item_lessons_received_on",
        "feedback_item",
        ["received_on"],
        unique=False,
        postgresql_where=sa.text(
            "kind = 'complaint' AND lessons_learned IS NOT NULL AND lessons_publishable"
        ),
    )
    _fingerprints(bind)
    _audit_masks(bind)


def downgrade() -> None:
    op.drop_index("ix_feedback_item_lessons_received_on", table_name="feedback_item")
    op.create_index(
        "ix_feedback_item_lessons_received_on",
        "feedback_item",
        ["received_on"],
        unique=False,
        postgresql_where=sa.text("kind = 'complaint' AND lessons_learned IS NOT NULL"),
    )
    op.drop_column("feedback_item", "lessons_publishable")
    op.drop_column("api_key", "source_system")

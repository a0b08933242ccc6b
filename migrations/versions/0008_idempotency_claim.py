"""One call claims an Idempotency-Key: the lock, the expired record forgotten, the stored one read

Every POST with an Idempotency-Key took the key's advisory lock and then read the stored
response in a statement of its own, because a statement's snapshot is taken as it starts
and one taken before the lock could miss a first request that committed meanwhile. Inside a
volatile function each statement takes a fresh snapshot, so the three steps become one round
trip with the same guarantee.

Revision ID: 3b9d41c27a10
Revises: 5e30778274ee
Create Date: 2026-11-26 12:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3b9d41c27a10"
down_revision: str | None = "5e30778274ee"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLAIM = """
CREATE FUNCTION idempotency_claim(p_client varchar, p_key varchar)
RETURNS TABLE (
    claimed boolean, fingerprint varchar, status_code integer, headers text, body bytea
)
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    -- Held until the transaction ends: a concurrent retry of the same key cannot take it.
    IF NOT pg_try_advisory_xact_lock(hashtextextended(p_client || p_key, 0)) THEN
        RETURN QUERY SELECT false, NULL::varchar, NULL::integer, NULL::text, NULL::bytea;
        RETURN;
    END IF;
    -- Each statement below takes its snapshot after the lock is held.
    DELETE FROM idempotency_record AS r
     WHERE r.client = p_client AND r.key = p_key AND r.expires_at <= now();
    RETURN QUERY
        SELECT true, r.fingerprint, r.status_code, r.headers::text, r.body
          FROM idempotency_record AS r
         WHERE r.client = p_client AND r.key = p_key;
    IF NOT FOUND THEN
        RETURN QUERY SELECT true, NULL::varchar, NULL::integer, NULL::text, NULL::bytea;
    END IF;
END
$$
"""


def upgrade() -> None:
    op.execute(CLAIM)


def downgrade() -> None:
    op.execute("DROP FUNCTION idempotency_claim(varchar, varchar)")

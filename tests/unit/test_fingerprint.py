"""Request fingerprints are stored with items and idempotency records: keyed by the server's
secret, so a copy of the database cannot confirm a guessed identity, and not drifting, so a
retry matches what was stored before (migration 0009 re-keyed the unkeyed digests)."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.api.domain import fingerprints
from services.api.domain.feedback import fingerprint
from services.api.models.feedback import ComplaintCreate, ComplimentCreate
from services.api.settings import FINGERPRINT_SECRET_FILE, Settings, fingerprint_secret

COMPLAINT = {
    "kind": "complaint",
    "service": "children",
    "team": "children-assessment",
    "source_system": "crm",
    "external_ref": "C-1",
    "channel": "email",
    "received_on": "2019-03-04",
    "nature": "poor-communication",
    "person": {"name": "Zoë Example", "email": "zoe@example.org"},
}
# The unkeyed SHA-256 this complaint was stored with before fingerprints were keyed.
UNKEYED = "c8711f16bc9afc36ab1810eb43ec4b253af1ef1f8af5be497002aaba0a30be94"


def test_a_complaints_fingerprint_is_its_earlier_digest_keyed() -> None:
    complaint = ComplaintCreate.model_validate(COMPLAINT)
    assert fingerprint(complaint) == fingerprints.keyed(bytes.fromhex(UNKEYED))
    assert fingerprint(complaint) != UNKEYED


def test_a_fingerprint_cannot_be_made_without_the_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    complaint = ComplaintCreate.model_validate(COMPLAINT)
    ours = fingerprint(complaint)
    # What someone with the database but not the secret would compute for a right guess.
    assert ours != hashlib.sha256(bytes.fromhex(UNKEYED)).hexdigest()
    monkeypatch.setattr(fingerprints, "get_fingerprint_secret", lambda: b"x" * 32)
    assert fingerprint(complaint) != ours


def test_absent_and_null_fields_give_the_same_fingerprint() -> None:
    body = {
        "kind": "compliment",
        "service": "adults",
        "team": "adults-disability",
        "source_system": "crm",
        "external_ref": "K-1",
        "channel": "web",
        "received_on": "2019-03-05",
        "compliment_text": "Thank you — très bien",
        "publication_consent": True,
    }
    compliment = ComplimentCreate.model_validate(body)
    with_null = ComplimentCreate.model_validate({**body, "person": None})
    unkeyed = "ca4fac179a9025136586f65d016537b32c75f0c7165c153adbdaf3a72f6a7f9a"
    expected = fingerprints.keyed(bytes.fromhex(unkeyed))
    assert fingerprint(compliment) == fingerprint(with_null) == expected


def test_without_a_setting_the_secret_is_made_once_in_the_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "not-yet-made"
    settings = Settings(data_dir=data)
    first = fingerprint_secret(settings)
    assert len(first) >= 32
    assert fingerprint_secret(settings) == first
    kept = data / FINGERPRINT_SECRET_FILE
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert [p.name for p in data.iterdir()] == [FINGERPRINT_SECRET_FILE]


def test_the_setting_wins_and_must_be_long(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_FINGERPRINT_SECRET", "s" * 40)
    settings = Settings(data_dir=tmp_path)
    assert fingerprint_secret(settings) == b"s" * 40
    assert not (tmp_path / FINGERPRINT_SECRET_FILE).exists()
    assert "s" * 40 not in repr(settings)
    monkeypatch.setenv("API_FINGERPRINT_SECRET", "too-short")
    with pytest.raises(ValidationError, match="fingerprint_secret"):
        Settings(data_dir=tmp_path)

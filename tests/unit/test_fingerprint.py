"""Request fingerprints are stored with items and idempotency records: they must not drift."""

from __future__ import annotations

from services.api.domain.feedback import fingerprint
from services.api.models.feedback import ComplaintCreate, ComplimentCreate


def test_a_complaints_fingerprint_is_the_one_stored_before() -> None:
    complaint = ComplaintCreate.model_validate(
        {
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
    )
    assert fingerprint(complaint) == (
        "c8711f16bc9afc36ab1810eb43ec4b253af1ef1f8af5be497002aaba0a30be94"
    )


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
    expected = "ca4fac179a9025136586f65d016537b32c75f0c7165c153adbdaf3a72f6a7f9a"
    assert fingerprint(compliment) == fingerprint(with_null) == expected

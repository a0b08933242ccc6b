"""Keyed request fingerprints: how a retried request is recognised without keeping what it said.

A fingerprint is an HMAC-SHA256, under the server's secret, of the SHA-256 of the request. An
unkeyed digest of a body holding a name and an email would let anyone with a copy of the
database confirm a guess; a keyed one needs the secret as well. Keying the digest (rather
than the request itself) lets migration 0009 re-key the unkeyed digests stored before.
"""

from __future__ import annotations

import hashlib
import hmac

from services.api.settings import get_fingerprint_secret

# What an erased person's items keep instead of a fingerprint: no HMAC is ever this, so a
# retry of their create, with the right identity or a guessed one, is refused alike.
ERASED = "erased"


def keyed(digest: bytes, secret: bytes | None = None) -> str:
    """The stored form of a request's SHA-256 digest: its HMAC under the secret, in hex."""
    key = get_fingerprint_secret() if secret is None else secret
    return hmac.new(key, digest, hashlib.sha256).hexdigest()


def request_fingerprint(canonical: bytes, secret: bytes | None = None) -> str:
    """The fingerprint of a request in its canonical form."""
    return keyed(hashlib.sha256(canonical).digest(), secret)

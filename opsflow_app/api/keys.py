"""API keys -> tenants. ``OPSFLOW_API_KEYS="key1:t_acme,key2:t_globex"``.

Only SHA-256 digests of the keys are kept in memory after loading: a heap dump or a log
of the key table never shows a usable key. Keys are long random strings, so a fast hash
is enough (no salt or slow KDF needed: there is nothing to brute-force in a 128-bit key).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from opsflow.errors import ValidationError
from opsflow.tenant_id import TENANT_ID_PATTERN

# Short keys can be guessed through the API faster than the rate limit makes worthwhile.
MIN_KEY_CHARS = 16


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class KeyRing:
    """Digest of each key -> its tenant."""

    tenants_by_digest: dict[str, str]

    def tenant_for(self, key: str | None) -> str | None:
        if not key:
            return None
        return self.tenants_by_digest.get(digest(key))

    @property
    def tenants(self) -> frozenset[str]:
        return frozenset(self.tenants_by_digest.values())


def parse_keys(spec: str | None) -> KeyRing:
    """Parse ``key:tenant,...``; a malformed entry is a configuration error, never skipped."""
    ring: dict[str, str] = {}
    for index, raw in enumerate((spec or "").split(","), start=1):
        entry = raw.strip()
        if not entry:
            continue
        key, sep, tenant = entry.rpartition(":")
        if not sep or not key:
            raise ValidationError(f"OPSFLOW_API_KEYS entry {index}: expected key:tenant")
        if len(key) < MIN_KEY_CHARS:
            raise ValidationError(
                f"OPSFLOW_API_KEYS entry {index}: key shorter than {MIN_KEY_CHARS} characters"
            )
        if not re.fullmatch(TENANT_ID_PATTERN, tenant):
            raise ValidationError(f"OPSFLOW_API_KEYS entry {index}: invalid tenant id {tenant!r}")
        hashed = digest(key)
        if hashed in ring and ring[hashed] != tenant:
            raise ValidationError(f"OPSFLOW_API_KEYS entry {index}: key given to two tenants")
        ring[hashed] = tenant
    if not ring:
        raise ValidationError("OPSFLOW_API_KEYS is empty: the API would admit nobody")
    return KeyRing(ring)

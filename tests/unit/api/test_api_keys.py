"""OPSFLOW_API_KEYS: parsed strictly, kept only as digests."""

from __future__ import annotations

import pytest

from opsflow.errors import ValidationError
from opsflow_app.api.keys import KeyRing, digest, parse_keys

ACME = "acme-0123456789abcdef"
GLOBEX = "globex-0123456789abcdef"


def test_keys_map_to_tenants_and_only_digests_are_kept() -> None:
    ring = parse_keys(f" {ACME}:t_acme , {GLOBEX}:t_globex,")
    assert ring.tenant_for(ACME) == "t_acme"
    assert ring.tenant_for(GLOBEX) == "t_globex"
    assert ring.tenant_for("acme-0123456789abcdeX") is None
    assert ring.tenant_for(None) is None and ring.tenant_for("") is None
    assert ring.tenants == {"t_acme", "t_globex"}
    assert ACME not in repr(ring) and digest(ACME) in ring.tenants_by_digest


def test_a_key_may_contain_colons() -> None:
    assert parse_keys("a:b:c:0123456789abcdef:t_acme").tenant_for("a:b:c:0123456789abcdef")


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("", "empty"),
        (None, "empty"),
        (f"{ACME}", "expected key:tenant"),
        (":t_acme", "expected key:tenant"),
        ("short:t_acme", "shorter than"),
        (f"{ACME}:T-Acme", "invalid tenant"),
        (f"{ACME}:t_acme,{ACME}:t_globex", "two tenants"),
    ],
)
def test_a_bad_entry_is_a_configuration_error(spec: str | None, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        parse_keys(spec)


def test_ring_is_a_plain_mapping_of_digests() -> None:
    ring = KeyRing({digest(ACME): "t_acme"})
    assert ring.tenant_for(ACME) == "t_acme"

"""AES-GCM payload codec: round trip, key rotation, failure modes, converter wiring."""

from __future__ import annotations

import base64
import dataclasses

import pytest
from pydantic import BaseModel
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter

from opsflow.codec import (
    ENCODING,
    KEY_ID_METADATA,
    AesGcmCodec,
    CodecConfigError,
    DecryptionError,
    UnknownKeyError,
    codec_from_settings,
    data_converter,
    generate_key_spec,
    parse_key_spec,
)
from opsflow.settings import Settings

SECRET = "tenant t_acme: payments-db saturated at 98% cpu"


def _plain(text: str = SECRET) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=f'"{text}"'.encode())


class Finding(BaseModel):
    ci: str
    score: float


async def test_round_trip_restores_payload_exactly():
    codec = AesGcmCodec.from_spec(generate_key_spec("k1"))
    original = [_plain(), _plain("second")]
    encoded = await codec.encode(original)
    assert all(p.metadata["encoding"] == ENCODING for p in encoded)
    assert all(p.metadata[KEY_ID_METADATA] == b"k1" for p in encoded)
    assert await codec.decode(encoded) == original


async def test_ciphertext_holds_no_plaintext_and_nonce_is_fresh():
    codec = AesGcmCodec.from_spec(generate_key_spec("k1"))
    first, second = await codec.encode([_plain(), _plain()])
    for payload in (first, second):
        assert b"payments-db" not in payload.data
        assert b"t_acme" not in payload.SerializeToString()
        # The original encoding is inside the ciphertext, not beside it.
        assert b"json/plain" not in payload.SerializeToString()
    # Same plaintext, different nonce: equal inputs are not linkable in history.
    assert first.data[:12] != second.data[:12]
    assert first.data != second.data


async def test_rotation_old_payload_decodes_after_new_key_is_added_first():
    old_spec = generate_key_spec("old")
    old_codec = AesGcmCodec.from_spec(old_spec)
    [sealed_with_old] = await old_codec.encode([_plain()])

    rotated = AesGcmCodec.from_spec(f"{generate_key_spec('new')},{old_spec}")
    assert rotated.encrypt_key_id == "new"
    [fresh] = await rotated.encode([_plain()])
    assert fresh.metadata[KEY_ID_METADATA] == b"new"
    assert await rotated.decode([sealed_with_old, fresh]) == [_plain(), _plain()]


async def test_unknown_key_id_is_a_clear_error():
    [sealed] = await AesGcmCodec.from_spec(generate_key_spec("retired")).encode([_plain()])
    codec = AesGcmCodec.from_spec(generate_key_spec("current"))
    with pytest.raises(UnknownKeyError) as info:
        await codec.decode([sealed])
    assert info.value.code == "CODEC_UNKNOWN_KEY"
    # Neither the payload's key id nor the configured ones: the message reaches clients.
    assert "retired" not in str(info.value) and "current" not in str(info.value)
    assert "OPSFLOW_CODEC_KEYS" in str(info.value)


async def test_relabelled_key_id_fails_authentication():
    spec_a, spec_b = generate_key_spec("a"), generate_key_spec("b")
    codec = AesGcmCodec.from_spec(f"{spec_a},{spec_b}")
    [sealed] = await codec.encode([_plain()])
    sealed.metadata[KEY_ID_METADATA] = b"b"
    with pytest.raises(DecryptionError):
        await codec.decode([sealed])


async def test_tampered_ciphertext_and_missing_key_id_are_rejected():
    codec = AesGcmCodec.from_spec(generate_key_spec("k1"))
    [sealed] = await codec.encode([_plain()])
    flipped = Payload()
    flipped.CopyFrom(sealed)
    flipped.data = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    with pytest.raises(DecryptionError):
        await codec.decode([flipped])
    unlabelled = Payload(metadata={"encoding": ENCODING}, data=sealed.data)
    with pytest.raises(DecryptionError, match="encryption-key-id"):
        await codec.decode([unlabelled])


async def test_unencrypted_payloads_pass_through_decode():
    # Histories recorded before encryption was switched on stay readable.
    codec = AesGcmCodec.from_spec(generate_key_spec("k1"))
    assert await codec.decode([_plain()]) == [_plain()]


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("", "no key"),
        ("k1", "keyid:base64key"),
        ("bad id:" + base64.b64encode(b"x" * 32).decode(), "keyid:base64key"),
        ("k1:not-base64!", "not base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "5 bytes"),
        (f"{generate_key_spec('k1')},{generate_key_spec('k1')}", "twice"),
    ],
)
def test_bad_key_specs_are_rejected_without_leaking_keys(spec: str, fragment: str):
    with pytest.raises(CodecConfigError, match=fragment) as info:
        parse_key_spec(spec)
    secret = spec.partition(":")[2]
    if len(secret) > 8:
        assert secret not in str(info.value)


def test_key_spec_order_is_kept_and_whitespace_tolerated():
    a, b = generate_key_spec("a"), generate_key_spec("b")
    keys = parse_key_spec(f" {a} , {b} ,")
    assert list(keys) == ["a", "b"]
    assert all(len(k) == 32 for k in keys.values())


def test_codec_from_settings_and_converter_without_keys():
    settings = Settings(codec_keys=None)
    assert codec_from_settings(settings) is None
    assert data_converter(settings) is pydantic_data_converter


async def test_data_converter_encrypts_pydantic_models_end_to_end():
    settings = Settings(codec_keys=generate_key_spec("k1"))
    converter = data_converter(settings)
    assert isinstance(converter.payload_codec, AesGcmCodec)
    assert converter.payload_converter_class is pydantic_data_converter.payload_converter_class
    finding = Finding(ci="payments-db", score=0.93)
    [encoded] = await converter.encode([finding])
    assert encoded.metadata["encoding"] == ENCODING
    assert b"payments-db" not in encoded.data
    [decoded] = await converter.decode([encoded], [Finding])
    assert decoded == finding
    # The shared module-level converter is untouched.
    assert dataclasses.replace(pydantic_data_converter).payload_codec is None

"""AES-GCM payload encryption for everything OpsFlow stores in Temporal (inputs, results).

Tool results carry tenants' operational data, so histories hold ciphertext only; the
Temporal UI shows plaintext through the codec server (``opsflow_app.codec_server``).

Wire format of an encrypted payload::

    metadata: {"encoding": "binary/encrypted", "encryption-key-id": "<key id>"}
    data:     nonce (12 random bytes) || AES-GCM(serialized original Payload) || tag

The original payload (metadata included) is encrypted whole, so its encoding is hidden
too. The key id is bound to the ciphertext as associated data: relabelling a payload
with another key id makes decryption fail instead of silently trying another key.

Key rotation: ``OPSFLOW_CODEC_KEYS="new:<b64>,old:<b64>"``. The first key encrypts; every
listed key decrypts, chosen by the id the payload names. Drop an old key only after no
open history (retention included) can still hold payloads encrypted with it.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import re
from collections.abc import Mapping, Sequence

import temporalio.api.common.v1
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, PayloadCodec

from opsflow.errors import AppError
from opsflow.settings import Settings

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
KEY_BYTES = 32
NONCE_BYTES = 12
# Key ids travel in every payload's metadata and in env vars: keep them boring.
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

Payload = temporalio.api.common.v1.Payload


class CodecError(AppError):
    """A payload cannot be encrypted or decrypted (bad key spec, unknown key, tampering)."""

    code = "CODEC_ERROR"


class CodecConfigError(CodecError):
    code = "CODEC_CONFIG_INVALID"


class UnknownKeyError(CodecError):
    code = "CODEC_UNKNOWN_KEY"


class DecryptionError(CodecError):
    code = "CODEC_DECRYPT_FAILED"


def parse_key_spec(spec: str) -> dict[str, bytes]:
    """``keyid:base64key[,keyid:base64key...]`` -> ordered {key_id: key}; first entry encrypts.

    Error messages name the offending key id or position, never key material.
    """
    keys: dict[str, bytes] = {}
    for position, raw in enumerate(spec.split(","), start=1):
        entry = raw.strip()
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep or not _KEY_ID.match(key_id):
            raise CodecConfigError(
                f"OPSFLOW_CODEC_KEYS entry {position}: expected keyid:base64key with a key id "
                "of letters, digits, '.', '_' or '-'"
            )
        if key_id in keys:
            raise CodecConfigError(f"OPSFLOW_CODEC_KEYS: key id {key_id!r} appears twice")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError) as err:
            raise CodecConfigError(f"OPSFLOW_CODEC_KEYS: key {key_id!r} is not base64") from err
        if len(key) != KEY_BYTES:
            raise CodecConfigError(
                f"OPSFLOW_CODEC_KEYS: key {key_id!r} has {len(key)} bytes, "
                f"AES-256 needs {KEY_BYTES}"
            )
        keys[key_id] = key
    if not keys:
        raise CodecConfigError("OPSFLOW_CODEC_KEYS holds no key")
    return keys


def generate_key_spec(key_id: str) -> str:
    """A fresh ``keyid:base64key`` entry (32 random bytes) for OPSFLOW_CODEC_KEYS."""
    if not _KEY_ID.match(key_id):
        raise CodecConfigError(f"invalid key id {key_id!r}")
    return f"{key_id}:{base64.b64encode(os.urandom(KEY_BYTES)).decode('ascii')}"


class AesGcmCodec(PayloadCodec):
    """Encrypts with the first key; decrypts with whichever key the payload names."""

    def __init__(self, keys: Mapping[str, bytes]) -> None:
        if not keys:
            raise CodecConfigError("AesGcmCodec needs at least one key")
        for key_id, key in keys.items():
            if not _KEY_ID.match(key_id):
                raise CodecConfigError(f"invalid key id {key_id!r}")
            if len(key) != KEY_BYTES:
                raise CodecConfigError(f"key {key_id!r} must be {KEY_BYTES} bytes")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self.encrypt_key_id = next(iter(keys))

    @classmethod
    def from_spec(cls, spec: str) -> AesGcmCodec:
        return cls(parse_key_spec(spec))

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._ciphers)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        key_id = self.encrypt_key_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(
            nonce, payload.SerializeToString(), key_id.encode("ascii")
        )
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID_METADATA: key_id.encode("ascii")},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        # Payloads written before encryption was switched on stay readable as they are.
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        raw_id = payload.metadata.get(KEY_ID_METADATA)
        if raw_id is None:
            raise DecryptionError("encrypted payload carries no encryption-key-id")
        key_id = raw_id.decode("ascii", errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            # No key ids in the message: it reaches codec-server clients, and the ids
            # configured (or probed) are nobody else's business.
            raise UnknownKeyError(
                "payload encrypted with a key that is not configured: add that key to "
                "OPSFLOW_CODEC_KEYS (after the key that encrypts) to read old payloads"
            )
        if len(payload.data) <= NONCE_BYTES:
            raise DecryptionError("encrypted payload is truncated")
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plain = cipher.decrypt(nonce, sealed, key_id.encode("ascii"))
        except InvalidTag as err:
            raise DecryptionError(
                "payload does not authenticate under its key (wrong key or tampered)"
            ) from err
        return Payload.FromString(plain)


def codec_from_settings(settings: Settings) -> AesGcmCodec | None:
    """None when no key is configured: payloads then travel as plain JSON (dev default)."""
    if not settings.codec_keys or not settings.codec_keys.strip():
        return None
    return AesGcmCodec.from_spec(settings.codec_keys)


def data_converter(settings: Settings) -> DataConverter:
    """The pydantic converter, with encryption when keys are configured.

    Client and worker must both use this: a worker without the codec cannot read
    encrypted workflow inputs, and a client without it cannot read results.
    """
    codec = codec_from_settings(settings)
    if codec is None:
        return pydantic_data_converter
    return dataclasses.replace(pydantic_data_converter, payload_codec=codec)

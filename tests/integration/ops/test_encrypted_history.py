"""With ``OPSFLOW_CODEC_KEYS`` set, the Temporal server stores ciphertext only: a client
without the key sees no tenant data in any payload, the codec server (what the UI calls)
gives the plaintext back, and OpsFlow's own client reads results transparently.

What stays plaintext, by design, and is therefore excluded from the payload checks:
- search attribute values (``TenantId``, ``OpsStatus``): the server must read them to
  filter ``list_workflows``; they are Payloads too, but never pass through a codec;
- the workflow id (``opsflow-<tenant>-<hex>``), which is not a payload at all.
"""

from __future__ import annotations

import argparse
import base64
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from temporalio.client import Client

from opsflow.codec import ENCODING, KEY_ID_METADATA, AesGcmCodec, generate_key_spec
from opsflow.models import OrchestrationResult, Status
from opsflow.settings import Settings
from opsflow.temporal_client import connect
from opsflow_app.codec_server import build_app
from tests.integration.ops.support import QUESTION, TENANT, VISIBILITY_WAIT_S, poll
from tests.support.harness import running_worker, start_question

pytestmark = pytest.mark.integration

KEY_ID = "k1"
TOKEN = "codec-test-token"
CI_NAME = "payments-api"  # named by the question, so it is in the input and tool results
UI_ORIGIN = "http://localhost:8233"


@dataclass(frozen=True)
class EncryptedRun:
    workflow_id: str
    key_spec: str
    codec_client: Client
    raw_events: list[dict[str, Any]]  # proto JSON, as fetched without the codec


@dataclass(frozen=True)
class FoundPayload:
    path: str
    payload: dict[str, Any]

    @property
    def is_search_attribute(self) -> bool:
        return "searchAttributes" in self.path.split("/")

    def metadata(self, key: str) -> bytes:
        return base64.b64decode(self.payload.get("metadata", {}).get(key, ""))

    @property
    def data(self) -> bytes:
        return base64.b64decode(self.payload.get("data", ""))


def _payloads(node: Any, path: str = "") -> Iterator[FoundPayload]:
    """Every ``temporal.api.common.v1.Payload`` in a proto-JSON tree: a dict whose
    metadata names an encoding."""
    if isinstance(node, dict):
        metadata = node.get("metadata")
        if isinstance(metadata, dict) and "encoding" in metadata:
            yield FoundPayload(path, node)
            return
        for key, value in node.items():
            yield from _payloads(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _payloads(value, f"{path}/{index}")


@pytest.fixture(scope="module")
async def encrypted_run(settings: Settings, seeded: datetime) -> AsyncIterator[EncryptedRun]:
    key_spec = generate_key_spec(KEY_ID)
    codec_settings = settings.model_copy(update={"codec_keys": key_spec})
    codec_client = await connect(codec_settings)
    async with running_worker(codec_client, codec_settings) as custom:
        handle = await start_question(codec_client, custom, QUESTION, TENANT, at=seeded)
        result = await handle.result()
    assert result.status is Status.SUCCESS, result.missing
    plain = await Client.connect(settings.temporal_address or "")
    history = await plain.get_workflow_handle(handle.id).fetch_history()
    yield EncryptedRun(handle.id, key_spec, codec_client, history.to_json_dict()["events"])


def test_raw_history_payloads_hold_ciphertext_only(encrypted_run: EncryptedRun) -> None:
    found = list(_payloads(encrypted_run.raw_events))
    # Patch markers (workflow.patched) carry only the patch id and are written by the SDK
    # core without the codec; they hold no tenant data (checked below like everything else).
    markers = [p for p in found if "/markerRecordedEventAttributes/" in p.path]
    encrypted = [p for p in found if not p.is_search_attribute and p not in markers]
    # Input, result, every activity's input and output, and the user-metadata summaries.
    assert len(encrypted) >= 10, [p.path for p in found]
    kinds = {p.path.split("/")[2] for p in encrypted}
    assert {
        "workflowExecutionStartedEventAttributes",
        "activityTaskScheduledEventAttributes",
        "activityTaskCompletedEventAttributes",
        "workflowExecutionCompletedEventAttributes",
        "userMetadata",
    } <= kinds, kinds
    secrets = (TENANT.encode(), CI_NAME.encode(), QUESTION.encode())
    for p in markers:
        assert not any(secret in p.data for secret in secrets), p.path
    for p in encrypted:
        assert p.metadata("encoding") == ENCODING, p.path
        assert p.metadata(KEY_ID_METADATA) == KEY_ID.encode(), p.path
        leaked = [s for s in secrets if s in p.data]
        assert not leaked, f"plaintext {leaked} in payload {p.path}"

    # Search attributes are plaintext on purpose (server-side filtering), and only they.
    for p in found:
        if p.is_search_attribute:
            assert p.metadata("encoding") == b"json/plain", p.path
    tenant_attrs = [
        json.loads(p.data) for p in found if p.is_search_attribute and p.path.endswith("/TenantId")
    ]
    assert tenant_attrs and set(tenant_attrs) == {TENANT}

    # Outside payloads nothing names the question or a CI, and the tenant id appears only
    # inside the workflow id (payload bytes are base64 in this text, so this covers
    # failure messages, activity ids and the like).
    text = json.dumps(encrypted_run.raw_events)
    assert CI_NAME not in text and QUESTION not in text
    assert TENANT not in text.replace(encrypted_run.workflow_id, "")


@pytest.fixture
async def codec_server(encrypted_run: EncryptedRun) -> AsyncIterator[str]:
    app = build_app(
        AesGcmCodec.from_spec(encrypted_run.key_spec), token=TOKEN, cors_origin=UI_ORIGIN
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def test_codec_server_decodes_history_payloads_for_the_ui(
    encrypted_run: EncryptedRun, codec_server: str
) -> None:
    encrypted = [p for p in _payloads(encrypted_run.raw_events) if not p.is_search_attribute]
    # The UI posts {"payloads": [...]} in proto JSON, exactly as the history carries them.
    body = {"payloads": [p.payload for p in encrypted]}
    headers = {"X-Namespace": "default", "Origin": UI_ORIGIN}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{codec_server}/decode", json=body, headers=headers) as resp:
            assert resp.status == 401, "decode without the bearer token must be refused"
        async with session.post(
            f"{codec_server}/decode",
            json=body,
            headers={**headers, "Authorization": f"Bearer {TOKEN}"},
        ) as resp:
            assert resp.status == 200, await resp.text()
            assert resp.headers.get("Access-Control-Allow-Origin") == UI_ORIGIN
            decoded = (await resp.json())["payloads"]
    assert len(decoded) == len(encrypted)
    plain = {
        p.path: base64.b64decode(d.get("data", "")) for p, d in zip(encrypted, decoded, strict=True)
    }
    for path, d in zip(plain, decoded, strict=True):
        assert base64.b64decode(d["metadata"]["encoding"]) == b"json/plain", path
    started = next(
        v for k, v in plain.items() if "workflowExecutionStarted" in k and "/input/" in k
    )
    request = json.loads(started)
    assert (request["question"], request["tenant_id"]) == (QUESTION, TENANT)
    summary = next(v for k, v in plain.items() if k.endswith("/userMetadata/summary"))
    assert json.loads(summary) == QUESTION
    results = [v for k, v in plain.items() if "activityTaskCompletedEventAttributes" in k]
    assert any(CI_NAME.encode() in v for v in results), "no tool result names the CI"


async def test_codec_client_reads_results_and_a_plain_client_cannot(
    encrypted_run: EncryptedRun, settings: Settings
) -> None:
    handle = encrypted_run.codec_client.get_workflow_handle(
        encrypted_run.workflow_id, result_type=OrchestrationResult
    )
    result = await handle.result()
    assert (result.question, result.tenant_id) == (QUESTION, TENANT)
    assert CI_NAME in result.summary
    assert await (await handle.describe()).static_summary() == QUESTION

    plain = await Client.connect(settings.temporal_address or "")
    with pytest.raises(KeyError, match="binary/encrypted"):
        await plain.get_workflow_handle(encrypted_run.workflow_id).result()


async def test_list_reads_the_question_from_the_encrypted_summary(
    encrypted_run: EncryptedRun, capsys: pytest.CaptureFixture[str]
) -> None:
    # No OpsQuestion attribute here (it would be plaintext): `list` decrypts the summary.
    from opsflow_app.cli.list_cmd import run_list

    args = argparse.Namespace(tenant=TENANT, status=None, limit=1000, json=True)

    async def listed() -> dict[str, Any] | None:
        await run_list(args, encrypted_run.codec_client)
        rows: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
        return next((r for r in rows if r["workflow_id"] == encrypted_run.workflow_id), None)

    row = await poll(listed, timeout_s=VISIBILITY_WAIT_S, interval_s=0.5)
    assert row is not None
    assert row["question"] == QUESTION

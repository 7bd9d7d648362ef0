"""The remote codec server the Temporal UI calls: decode/encode, bearer auth, CORS."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from opsflow.codec import ENCODING, AesGcmCodec, CodecConfigError, generate_key_spec
from opsflow.settings import Settings
from opsflow_app.codec_server import build_app, serve

TOKEN = "s3cret-token"
UI = "http://localhost:8233"
PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"ci":"payments-db"}')


@pytest.fixture
def codec() -> AesGcmCodec:
    return AesGcmCodec.from_spec(generate_key_spec("k1"))


@pytest.fixture
async def client(codec: AesGcmCodec) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = build_app(codec, token=TOKEN, cors_origin=UI)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def _body(*payloads: Payload) -> str:
    return json_format.MessageToJson(Payloads(payloads=list(payloads)))


def _parse(text: str) -> list[Payload]:
    return list(json_format.Parse(text, Payloads()).payloads)


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


async def test_decode_returns_plaintext_for_encoded_payload(client, codec):
    [sealed] = await codec.encode([PLAIN])
    resp = await client.post(
        "/decode", data=_body(sealed), headers={**_auth(), "X-Namespace": "default"}
    )
    assert resp.status == 200
    raw = await resp.json()
    # The UI reads base64 fields straight from this JSON shape.
    [item] = raw["payloads"]
    assert set(item) == {"metadata", "data"}
    assert base64.b64decode(item["metadata"]["encoding"]) == b"json/plain"
    assert base64.b64decode(item["data"]) == PLAIN.data
    assert _parse(json.dumps(raw)) == [PLAIN]


async def test_encode_then_decode_over_http(client):
    resp = await client.post("/encode", data=_body(PLAIN), headers=_auth())
    assert resp.status == 200
    [sealed] = _parse(await resp.text())
    assert sealed.metadata["encoding"] == ENCODING
    assert b"payments-db" not in sealed.data
    resp = await client.post("/decode", data=_body(sealed), headers=_auth())
    assert _parse(await resp.text()) == [PLAIN]


async def test_body_in_ui_wire_form_is_accepted(client, codec):
    [sealed] = await codec.encode([PLAIN])
    body = {
        "payloads": [
            {
                "metadata": {k: base64.b64encode(v).decode() for k, v in sealed.metadata.items()},
                "data": base64.b64encode(sealed.data).decode(),
            }
        ]
    }
    resp = await client.post("/decode", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 200
    assert _parse(await resp.text()) == [PLAIN]


async def test_empty_payload_list_keeps_the_key(client):
    resp = await client.post("/decode", data='{"payloads": []}', headers=_auth())
    assert resp.status == 200
    assert await resp.json() == {"payloads": []}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}],
    ids=["missing", "wrong-token", "no-bearer-scheme"],
)
async def test_requests_without_the_token_get_401(client, codec, headers):
    [sealed] = await codec.encode([PLAIN])
    resp = await client.post("/decode", data=_body(sealed), headers={**headers, "Origin": UI})
    assert resp.status == 401
    body = await resp.json()
    assert body["error"] == "UNAUTHORIZED"
    assert "payments-db" not in await resp.text()
    # The browser must be able to read the 401, so CORS headers are on it too.
    assert resp.headers["Access-Control-Allow-Origin"] == UI


async def test_cors_preflight_needs_no_auth(client):
    resp = await client.options(
        "/decode",
        headers={
            "Origin": UI,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-namespace,authorization",
        },
    )
    assert resp.status == 204
    assert resp.headers["Access-Control-Allow-Origin"] == UI
    allowed = {h.strip() for h in resp.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "x-namespace", "authorization"} <= allowed
    assert "POST" in resp.headers["Access-Control-Allow-Methods"]
    assert resp.headers["Access-Control-Allow-Credentials"] == "true"


async def test_cors_headers_on_success_and_foreign_origin_gets_none(client, codec):
    [sealed] = await codec.encode([PLAIN])
    ok = await client.post("/decode", data=_body(sealed), headers={**_auth(), "Origin": UI})
    assert ok.headers["Access-Control-Allow-Origin"] == UI
    foreign = await client.options(
        "/decode",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in foreign.headers


async def test_unknown_key_and_bad_body_are_client_errors(client):
    other = AesGcmCodec.from_spec(generate_key_spec("elsewhere"))
    [foreign] = await other.encode([PLAIN])
    resp = await client.post("/decode", data=_body(foreign), headers=_auth())
    assert resp.status == 422
    assert (await resp.json())["error"] == "CODEC_UNKNOWN_KEY"
    bad = await client.post("/decode", data="{not json", headers=_auth())
    assert bad.status == 400


async def test_without_token_auth_is_off_and_health_is_open(codec):
    app = build_app(codec, token=None, cors_origin=UI)
    async with TestClient(TestServer(app)) as open_client:
        resp = await open_client.post("/encode", data=_body(PLAIN))
        assert resp.status == 200
        assert (await open_client.get("/health")).status == 200
    guarded = build_app(codec, token=TOKEN, cors_origin=UI)
    async with TestClient(TestServer(guarded)) as guarded_client:
        assert (await guarded_client.get("/health")).status == 200


async def test_serve_refuses_to_start_without_keys():
    with pytest.raises(CodecConfigError):
        await serve(Settings(codec_keys=None), "127.0.0.1", 0)


async def test_serve_answers_then_stops_on_cancel(unused_tcp_port: int):
    spec = generate_key_spec("k1")
    settings = Settings(codec_keys=spec, codec_server_token=TOKEN, codec_cors_origin=UI)
    task = asyncio.create_task(serve(settings, "127.0.0.1", unused_tcp_port))
    url = f"http://127.0.0.1:{unused_tcp_port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.get(f"{url}/health") as resp:
                    assert resp.status == 200
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        else:
            pytest.fail("codec server did not start")
        [sealed] = await AesGcmCodec.from_spec(spec).encode([PLAIN])
        async with session.post(f"{url}/decode", data=_body(sealed), headers=_auth()) as resp:
            assert _parse(await resp.text()) == [PLAIN]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_serve_refuses_to_start_without_a_token_off_loopback() -> None:
    settings = Settings(codec_keys=generate_key_spec("k1"), codec_server_token=None)
    for host in ("0.0.0.0", "192.0.2.10", "", "example.org"):
        with pytest.raises(CodecConfigError, match="OPSFLOW_CODEC_TOKEN"):
            await serve(settings, host, 0)


async def test_requests_for_another_host_are_refused(codec: AesGcmCodec) -> None:
    app = build_app(codec, token=None, cors_origin=UI, allowed_hosts="codec.internal")
    async with TestClient(TestServer(app)) as open_client:
        for host, status in [
            ("attacker.example:8081", 421),
            ("localhost.attacker.example", 421),
            ("localhost:8081", 200),
            ("[::1]:8081", 200),
            ("codec.internal", 200),
        ]:
            resp = await open_client.post("/encode", data=_body(PLAIN), headers={"Host": host})
            assert resp.status == status, host


async def test_payload_count_and_body_size_are_capped(client) -> None:
    many = json.dumps({"payloads": [{"data": "eA=="}] * 10_000})
    resp = await client.post("/decode", data=many, headers=_auth())
    assert resp.status == 413
    huge = json.dumps({"payloads": [{"data": "eA" * (5 * 1024 * 1024)}]})
    resp = await client.post("/decode", data=huge, headers=_auth())
    assert resp.status == 413


async def test_errors_name_no_key_ids(client) -> None:
    other = AesGcmCodec.from_spec(generate_key_spec("probe-id"))
    [foreign] = await other.encode([PLAIN])
    resp = await client.post("/decode", data=_body(foreign), headers=_auth())
    text = await resp.text()
    assert resp.status == 422
    assert "probe-id" not in text and "k1" not in text

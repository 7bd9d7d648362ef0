"""docker-compose.yml, the Dockerfile and the deploy/ files the stack mounts.

No Docker engine runs here, so the stack is checked statically: against the official
Compose Specification JSON schema (vendored as tests/fixtures/compose-spec.json, taken
from the compose-spec project's schema/compose-spec.json as shipped in the
``ecs-composex`` 1.1.9 wheel, ``ecs_composex/specs/compose-spec.json``; there is no
network at test time), and against the contracts OpsFlow relies on.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs in the dev extra
import pytest
import yaml

from opsflow.settings import ENV_VARS

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "docker-compose.yml"
SCHEMA = ROOT / "tests" / "fixtures" / "compose-spec.json"
OPSFLOW_SERVICES = ("ops-migrate", "worker", "codec-server", "api")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): str(v) for k, v in env.items()}


def test_schema_fixture_is_the_compose_specification():
    schema = json.loads(SCHEMA.read_text())
    assert schema["title"] == "Compose Specification"
    assert {"services", "networks", "volumes", "secrets", "configs"} <= set(schema["properties"])


def test_compose_file_validates_against_the_compose_spec(compose):
    schema = json.loads(SCHEMA.read_text())
    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    errors = sorted(validator_cls(schema).iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_schema_rejects_a_broken_file():
    # Guards the guard: a typo'd key must fail validation, or the check above proves nothing.
    schema = json.loads(SCHEMA.read_text())
    validator_cls = jsonschema.validators.validator_for(schema)
    broken = {"services": {"worker": {"image": "x", "replica": 2}}}
    assert list(validator_cls(schema).iter_errors(broken))


def test_expected_services_exist(services):
    assert {
        "temporal-db",
        "temporal",
        "temporal-admin-tools",
        "temporal-ui",
        "ops-db",
        "ops-migrate",
        "worker",
        "codec-server",
        "api",
        "llm",
    } <= set(services)


@pytest.mark.parametrize("name", OPSFLOW_SERVICES)
def test_opsflow_services_set_only_known_settings(services, name):
    unknown = set(_environment(services[name])) - ENV_VARS
    assert not unknown, f"{name} sets variables opsflow.settings does not know: {unknown}"


def test_worker_runs_two_replicas_after_temporal_and_migrations(services):
    worker = services["worker"]
    assert worker["deploy"]["replicas"] == 2
    assert worker["command"] == ["python", "worker.py"]
    deps = worker["depends_on"]
    assert deps["temporal"]["condition"] == "service_healthy"
    assert deps["ops-migrate"]["condition"] == "service_completed_successfully"
    assert deps["temporal-admin-tools"]["condition"] == "service_completed_successfully"
    # Replicas cannot share a container name or a published host port.
    assert "container_name" not in worker
    assert "ports" not in worker


def test_worker_environment(services):
    env = _environment(services["worker"])
    assert env["OPSFLOW_ENV"] == "prod"
    assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert env["OPSFLOW_DB_DSN"].startswith("postgresql://")
    assert "@ops-db:5432/" in env["OPSFLOW_DB_DSN"]
    assert env["OPSFLOW_METRICS_PORT"] == "9464"
    # Fail closed: no key, no stack (compose's ${VAR:?message} form).
    assert env["OPSFLOW_CODEC_KEYS"].startswith("${OPSFLOW_CODEC_KEYS:?")
    # LLM settings come from .env; absent, they are empty and the worker runs offline.
    assert env["OPENAI_BASE_URL"] == "${OPENAI_BASE_URL:-}"
    assert env["OPENAI_API_KEY"] == "${OPENAI_API_KEY:-}"


def test_one_shot_jobs(services):
    migrate = services["ops-migrate"]
    assert migrate["command"] == ["python", "client.py", "seed"]
    assert migrate["depends_on"]["ops-db"]["condition"] == "service_healthy"
    assert _environment(migrate)["OPSFLOW_ENV"] == "prod"
    admin = services["temporal-admin-tools"]
    assert admin["depends_on"]["temporal"]["condition"] == "service_healthy"
    assert "register-search-attributes.sh" in " ".join(admin["entrypoint"])
    for job in ("ops-migrate", "temporal-admin-tools"):
        assert services[job].get("restart") == "no"


def test_temporal_runs_on_postgres(services):
    temporal = services["temporal"]
    env = _environment(temporal)
    assert env["DB"] == "postgres12"
    assert env["POSTGRES_SEEDS"] == "temporal-db"
    assert temporal["depends_on"]["temporal-db"]["condition"] == "service_healthy"
    assert "cluster" in temporal["healthcheck"]["test"]


def test_ui_and_codec_server(services):
    ui = services["temporal-ui"]
    ui_env = _environment(ui)
    assert ui_env["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert "8081" in ui_env["TEMPORAL_CODEC_ENDPOINT"]
    assert any(str(p).endswith("8233:8080") for p in ui["ports"])
    codec = services["codec-server"]
    assert codec["command"][:3] == ["python", "client.py", "codec-server"]
    assert codec["command"][-2:] == ["--port", "8081"]
    assert _environment(codec)["OPSFLOW_CODEC_CORS_ORIGIN"] == "http://localhost:8233"


def test_api_service(services):
    api = services["api"]
    assert api["command"][:3] == ["python", "client.py", "serve"]
    assert api["command"][-4:] == ["--host", "0.0.0.0", "--port", "8080"]
    assert api["depends_on"]["temporal"]["condition"] == "service_healthy"
    assert api["depends_on"]["temporal-admin-tools"]["condition"] == (
        "service_completed_successfully"
    )
    env = _environment(api)
    assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
    # The task queue the workers poll, and their payload keys: the API starts their workflows.
    assert env["OPSFLOW_TASK_QUEUE"] == _environment(services["worker"])["OPSFLOW_TASK_QUEUE"]
    assert env["OPSFLOW_CODEC_KEYS"] == _environment(services["worker"])["OPSFLOW_CODEC_KEYS"]
    # No keys, no API: compose refuses to start rather than serve nobody (or everybody).
    assert env["OPSFLOW_API_KEYS"].startswith("${OPSFLOW_API_KEYS:?")
    assert "OPSFLOW_DB_DSN" not in env  # the API never touches the ops database
    assert any(str(p) == "127.0.0.1:8080:8080" for p in api["ports"])
    assert "/healthz" in " ".join(api["healthcheck"]["test"])


def test_llm_is_opt_in(services):
    for name, service in services.items():
        if name.startswith("llm"):
            assert service.get("profiles") == ["llm"], name
    assert "/v1" not in _environment(services["worker"])["OPENAI_BASE_URL"]


def test_dependencies_point_at_services_with_healthchecks(services):
    for name, service in services.items():
        for dep, spec in service.get("depends_on", {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits on {dep}'s health"


def test_images_are_pinned(services):
    for name, service in services.items():
        image = service.get("image", "")
        if "build" in service:
            continue
        tag = image.rpartition(":")[2]
        assert ":" in image and tag and tag != "latest", f"{name}: unpinned image {image!r}"


def test_bind_mounted_files_exist(services):
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = str(volume).split(":", 1)[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"


def test_dynamic_config_is_well_formed():
    path = ROOT / "deploy" / "temporal" / "dynamicconfig" / "opsflow.yaml"
    config = yaml.safe_load(path.read_text())
    for key, entries in config.items():
        assert isinstance(entries, list) and entries, key
        assert all("value" in e and "constraints" in e for e in entries), key


def test_compose_and_dev_server_enable_the_same_eager_dispatch():
    from opsflow_app.stack.temporal_server import DYNAMIC_CONFIG

    path = ROOT / "deploy" / "temporal" / "dynamicconfig" / "opsflow.yaml"
    config = yaml.safe_load(path.read_text())
    for setting in DYNAMIC_CONFIG:
        key, value = setting.split("=", 1)
        assert [e["value"] for e in config[key]] == [yaml.safe_load(value)], key


def test_register_script_is_valid_sh_and_covers_the_attributes():
    script = ROOT / "deploy" / "temporal" / "register-search-attributes.sh"
    text = script.read_text()
    from opsflow.search_attributes import REGISTERED

    for attr, kind in REGISTERED:
        assert f"{attr}:{kind}" in text
    assert '--type "$type"' in text
    sh = shutil.which("sh")
    if sh is None:
        pytest.skip("no sh to syntax-check with")
    subprocess.run([sh, "-n", str(script)], check=True)


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), rest.strip()))
    return out


def test_dockerfile_runtime_stage():
    instructions = _dockerfile_instructions()
    froms = [rest for op, rest in instructions if op == "FROM"]
    assert all(f.startswith("python:3.11-slim") for f in froms)
    last_from = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    runtime = instructions[last_from:]
    users = [rest for op, rest in runtime if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert ("CMD", '["python", "worker.py"]') in runtime
    installs = " ".join(rest for op, rest in instructions if op == "RUN")
    assert "[dev]" not in installs


def test_dockerfile_copies_exist_and_are_not_dockerignored():
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for op, rest in _dockerfile_instructions():
        if op != "COPY" or "--from=" in rest:
            continue
        sources = [s for s in rest.split() if not s.startswith("--")][:-1]
        for source in sources:
            assert source not in ignored, f"{source} is copied but .dockerignore drops it"
            assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"


def test_compose_uses_only_settings_names_for_opsflow_image(services):
    # Every service built from the Dockerfile is an OpsFlow process: same env rule.
    built = {n for n, s in services.items() if "build" in s}
    assert built == set(OPSFLOW_SERVICES)
    pattern = re.compile(r"^[A-Z][A-Z0-9_]*$")
    for name in built:
        assert all(pattern.match(k) for k in _environment(services[name]))

"""The layering holds: ``lint-imports`` checks the contracts in pyproject.toml (the domain
imports neither activities, workflows nor the app; workflows do no I/O of their own; the
front ends' libraries stay in the app), a copy of the code with one forbidden import fails
them, and nothing imports the top-level scripts, which stay thin."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("opsflow", "opsflow_app", "activities", "workflows")
SCRIPTS = ("worker", "client")
LINT_TIMEOUT_S = 120


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` (the import-linter console script beside this interpreter)."""
    lint = Path(sys.executable).with_name("lint-imports")
    # Wide: the report prints one contract per line.
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "300"}
    return subprocess.run(
        [str(lint), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=LINT_TIMEOUT_S,
    )


def _config_only(pyproject: str) -> str:
    """The [tool.importlinter] tables of pyproject.toml, nothing else."""
    kept, keep = [], False
    for line in pyproject.splitlines():
        if line.startswith("["):
            keep = line.lstrip("[").startswith("tool.importlinter")
        if keep:
            kept.append(line)
    return "\n".join(kept) + "\n"


def test_the_contracts_are_kept() -> None:
    run = _lint(REPO)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        ("opsflow/status.py", "import opsflow_app.cli.errors", "app over workflows"),
        ("activities/lookup.py", "import workflows.options", "app over workflows"),
        ("workflows/execution.py", "import asyncpg", "workflows do no I/O"),
        ("opsflow/answer.py", "import rich.console", "front ends' libraries"),
    ],
)
def test_one_forbidden_import_breaks_a_contract(
    tmp_path: Path, module: str, bad_import: str, contract: str
) -> None:
    for package in PACKAGES:
        shutil.copytree(
            REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    (tmp_path / "pyproject.toml").write_text(
        _config_only((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    )
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{bad_import}  # layering test\n")
    run = _lint(tmp_path)
    assert run.returncode != 0, run.stdout
    broken = [line for line in run.stdout.splitlines() if line.endswith("BROKEN")]
    assert broken and all(contract in line for line in broken), run.stdout


def _python_files() -> list[Path]:
    roots = [REPO / p for p in (*PACKAGES, "tests", "bench")]
    return [p for root in roots for p in sorted(root.rglob("*.py"))] + [
        REPO / f"{s}.py" for s in SCRIPTS
    ]


def test_nothing_imports_a_top_level_script() -> None:
    offenders = []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            line = getattr(node, "lineno", 0)
            offenders += [f"{path.relative_to(REPO)}:{line}" for n in names if n in SCRIPTS]
    assert offenders == []


@pytest.mark.parametrize("script", SCRIPTS)
def test_top_level_scripts_only_call_into_the_app(script: str) -> None:
    tree = ast.parse((REPO / f"{script}.py").read_text(encoding="utf-8"))
    imports = [n for n in tree.body if isinstance(n, ast.ImportFrom)]
    assert [(n.module, [a.name for a in n.names]) for n in imports] == [
        (f"opsflow_app.{script}_main", ["run"])
    ]
    # A docstring, that import, and the __main__ guard: nothing else lives there.
    assert len(tree.body) == 3

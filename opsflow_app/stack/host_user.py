"""PostgreSQL refuses to run as root. Under root, the embedded server runs as a system user.

The only host changes: creating that user when it is missing (announced first), and giving
it the data directory. Nothing outside the data directory changes mode: when the user
cannot reach the binaries or the data directory, start-up stops and says what to do."""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

from opsflow_app.stack.errors import Announce, StackError

DEFAULT_USER = "opsflow_pg"
# Set to an existing unprivileged user to have no user created (README: running as root).
USER_ENV = "OPSFLOW_PG_USER"
_WORLD_ENTER = stat.S_IXOTH


def server_user() -> str | None:
    """The user PostgreSQL runs as; None when this process is not root (it runs as us)."""
    if os.geteuid() != 0:
        return None
    return os.environ.get(USER_ENV) or DEFAULT_USER


def _ensure_user(name: str, announce: Announce) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        if name != DEFAULT_USER:
            raise StackError(
                "HOST_SETUP", f"{USER_ENV}={name}: no such user on this host"
            ) from None
    announce(
        f"running as root: PostgreSQL refuses root, so it runs as the system user {name};"
        f" creating it (useradd --system --no-create-home {name})."
        f" To avoid this, run as a non-root user or set {USER_ENV} to an existing user."
    )
    done = subprocess.run(
        ["useradd", "--system", "--no-create-home", name],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise StackError("HOST_SETUP", f"useradd {name} failed: {done.stderr.strip()}")
    return pwd.getpwnam(name)


def _unreachable(path: Path, need: int) -> list[Path]:
    """Directories on the way to ``path`` (and ``path``) that others cannot use."""
    return [p for p in [*reversed(path.parents), path] if p.stat().st_mode & need != need]


def prepare(data_dir: Path, bin_dir: Path, announce: Announce, root: Path | None = None) -> None:
    """Make ``data_dir`` the server user's; change nothing outside ``root`` (the stack's
    data directory, ``data_dir`` or a parent of it): outside, only check."""
    name = server_user()
    if name is None:
        return
    entry = _ensure_user(name, announce)
    install = bin_dir.parent
    blocked = _unreachable(install.parent, _WORLD_ENTER) + [
        d
        for d in (bin_dir, install / "lib", install / "share")
        if d.exists() and d.stat().st_mode & (stat.S_IROTH | stat.S_IXOTH) == 0
    ]
    if blocked:
        raise StackError(
            "HOST_SETUP",
            f"PostgreSQL runs as {name} (it refuses root) and cannot read its binaries under"
            f" {blocked[0]}; reinstall with umask 022 or run as a non-root user",
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    root = (root or data_dir).resolve()
    closed = [p for p in _unreachable(root.parent, _WORLD_ENTER) if p != Path("/")]
    if closed:
        raise StackError(
            "HOST_SETUP",
            f"PostgreSQL runs as {name} (it refuses root) and cannot enter {closed[0]}"
            f" (mode {stat.S_IMODE(closed[0].stat().st_mode):o}) on the way to {data_dir};"
            " set OPSFLOW_DATA_DIR to a directory others can enter (e.g. /var/tmp/opsflow)"
            " or run as a non-root user",
        )
    # Inside the stack's own data directory the server user may need to pass through.
    resolved = data_dir.resolve()
    for step in [root, *[p for p in resolved.parents if p.is_relative_to(root) and p != root]]:
        mode = step.stat().st_mode
        if mode & _WORLD_ENTER == 0:
            announce(f"letting {name} pass through {step} (chmod o+x, inside the data directory)")
            step.chmod(stat.S_IMODE(mode) | _WORLD_ENTER)
    if data_dir.stat().st_uid != entry.pw_uid:
        announce(f"giving {data_dir} to {name} (chown; nothing outside it changes)")
    os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    pgdata = data_dir / "pgdata"
    if pgdata.exists():
        shutil.chown(pgdata, entry.pw_uid, entry.pw_gid)

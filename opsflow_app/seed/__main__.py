"""``python -m opsflow_app.seed --dsn DSN [--size S] [--seed N]``: seed the demo tenants."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime

from opsflow.logging_setup import configure_logging
from opsflow.settings import Settings
from opsflow_app.seed.loader import seed_all
from opsflow_app.seed.model import SIZES, TENANTS


def _parse_end(text: str) -> datetime:
    end = datetime.fromisoformat(text)
    if end.tzinfo is None:
        raise argparse.ArgumentTypeError("--end needs a time zone, e.g. 2025-01-01T12:00:00Z")
    return end


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m opsflow_app.seed", description=__doc__)
    parser.add_argument(
        "--dsn", default=Settings().db_dsn, help="PostgreSQL DSN (default: $OPSFLOW_DB_DSN)"
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--tenant",
        action="append",
        choices=sorted(TENANTS),
        help="tenant to seed (repeatable; default: all)",
    )
    parser.add_argument(
        "--end",
        type=_parse_end,
        default=None,
        help="reference instant, ISO 8601 with zone (default: now, to the minute)",
    )
    args = parser.parse_args(argv)
    # stdout carries the JSON report; logs go to stderr.
    configure_logging(json_output=False)
    if not args.dsn:
        parser.error("--dsn or OPSFLOW_DB_DSN is required")
    stats = asyncio.run(
        seed_all(
            args.dsn,
            tenants=tuple(args.tenant or TENANTS),
            seed=args.seed,
            size=args.size,
            end=args.end,
        )
    )
    json.dump({tid: s.as_dict() for tid, s in stats.items()}, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

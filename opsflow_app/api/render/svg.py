"""Tiny SVG writing helpers: every text is escaped, every number rounded."""

from __future__ import annotations

from html import escape


def num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def attrs(**values: str | float) -> str:
    return " ".join(
        f'{k.rstrip("_").replace("_", "-")}="{escape(num(v) if isinstance(v, float | int) else v)}"'
        for k, v in values.items()
    )


def tag(name: str, body: str = "", **values: str | float) -> str:
    return f"<{name} {attrs(**values)}>{body}</{name}>"


def text(content: str, **values: str | float) -> str:
    return tag("text", escape(content), **values)

"""sqlglot behind one door: parse and render in the Postgres dialect, failures as values.

sqlglot reports some of its guesses only as log warnings (an unknown statement becomes
`Command` "falling back to parsing as a 'Command'", an invalid JSON path is dropped),
so the `sqlglot` logger is listened to while we parse, and a warning is a rejection.
Rendering raises on anything the generator cannot express instead of warning.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Final

from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import ErrorLevel, SqlglotError
from sqlglot.generator import Generator
from sqlglot.helper import name_sequence
from sqlglot.parser import Parser
from sqlglot.tokens import Tokenizer

# One dialect instance: looking the dialect up by name on every call costs ~100 µs.
_ARROW_ROUNDS: Final = 8
_DIALECT: Final = Postgres()


class _Machinery(threading.local):
    """A tokenizer, parser and generator per thread: building them per call costs ~70 µs
    a parse and ~10 µs a render.

    All three reset their per-call state at the start of every call (the generator's
    alias counter is reset by `render`), so reuse after a failure is safe; they are not
    safe to share between threads, hence thread-local.
    """

    def __init__(self) -> None:
        self.tokenizer: Tokenizer = _DIALECT.tokenizer()
        self.parser: Parser = _DIALECT.parser(error_level=ErrorLevel.RAISE)
        self.generator: Generator = _DIALECT.generator(
            comments=False, unsupported_level=ErrorLevel.RAISE
        )


_machinery: Final = _Machinery()

# What a parser or generator may raise on hostile input besides its own errors: deep
# nesting exhausts the stack, and odd token sequences have tripped sqlglot internals
# (IndexError, TypeError, AttributeError) in the past. Anything else is a bug in our
# code and must surface, not be mistaken for a rejection.
PARSER_FAILURES: Final = (
    SqlglotError,
    RecursionError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    AttributeError,
)


class _WarningSink(logging.Handler):
    """Routes `sqlglot` warnings to the parse running on this thread, if any."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        sink: list[str] | None = getattr(self._local, "sink", None)
        if sink is not None:
            sink.append(record.getMessage())

    def swap(self, sink: list[str] | None) -> list[str] | None:
        """Route this thread's warnings to `sink`; return the previous sink to restore.

        A plain swap rather than a context manager: a generator-based one costs a few
        µs per parse, and parsing runs twice per validation.
        """
        previous: list[str] | None = getattr(self._local, "sink", None)
        self._local.sink = sink
        return previous


_SQLGLOT_LOGGER: Final = logging.getLogger("sqlglot")
_sink: _WarningSink | None = None
_sink_lock: Final = threading.Lock()


def _warning_sink() -> _WarningSink:
    # Installed on first use rather than at import: importing this module must not
    # change logging for modules that never validate SQL.
    global _sink
    if _sink is None:
        with _sink_lock:
            if _sink is None:
                _sink = _WarningSink()
                _SQLGLOT_LOGGER.addHandler(_sink)
                # A warning that is never created cannot be seen: make sure the logger
                # lets WARNING through even if the application quietened it.
                if not _SQLGLOT_LOGGER.isEnabledFor(logging.WARNING):
                    _SQLGLOT_LOGGER.setLevel(logging.WARNING)
    return _sink


@dataclass(frozen=True)
class Parsed:
    """The statements sqlglot found (empty ones dropped) and what it warned about."""

    statements: list[exp.Expr]
    warnings: list[str] = field(default_factory=list)


class ParseFailed(Exception):
    """sqlglot could not parse or render the text; `reason` is for the violation message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse(sql: str) -> Parsed:
    """Parse `sql` as Postgres; raise ParseFailed on any parser failure."""
    sink = _warning_sink()
    warnings: list[str] = []
    previous = sink.swap(warnings)
    try:
        statements = _machinery.parser.parse(_machinery.tokenizer.tokenize(sql), sql)
        found = [s for s in statements if s is not None]
        if "->" in sql:
            # Inside the try: its own parsing must be heard by the warning sink too.
            found = [_arrows_as_json(statement) for statement in found]
    except RecursionError as error:
        raise ParseFailed("the statement is nested too deeply to parse") from error
    except PARSER_FAILURES as error:
        raise ParseFailed(_first_line(error)) from error
    finally:
        sink.swap(previous)
    return Parsed(found, warnings)


def _arrows_as_json(statement: exp.Expr) -> exp.Expr:
    """Read `f(x -> 'k')` as PostgreSQL does: the JSON operator, not a lambda.

    sqlglot's parser (shared by every dialect, compiled, not configurable per dialect)
    takes `identifier -> ...` in a function argument for a lambda; PostgreSQL has no
    lambdas. The argument is rendered back as `x -> <body>` and parsed again outside a
    function call, which applies the operators' real precedence. The text that finally
    runs is validated again after rendering, so a rendering quirk here can only cause a
    refusal, never run unchecked text.
    """
    # Re-reading an argument can meet an inner `f(y -> ...)` again: a few rounds at most;
    # whatever is still a lambda afterwards is refused by the node rules.
    for _ in range(_ARROW_ROUNDS):
        candidates = [
            lam
            for lam in statement.find_all(exp.Lambda)
            if len(lam.expressions) == 1 and isinstance(lam.expressions[0], exp.Identifier)
        ]
        if not candidates:
            break
        statement = _replace_arrows(statement, candidates[0])
    return statement


def _replace_arrows(statement: exp.Expr, lam: exp.Lambda) -> exp.Expr:
    """`statement` with the outermost lambda `lam` read as a JSON operator."""
    generator = _machinery.generator
    try:
        text = (
            generator.generate(exp.Column(this=lam.expressions[0].copy()), copy=True)
            + " -> "
            + generator.generate(lam.this, copy=True)
        )
        query = f"SELECT {text}"
        reparsed = _machinery.parser.parse(_machinery.tokenizer.tokenize(query), query)
    except PARSER_FAILURES as error:
        raise ParseFailed(_first_line(error)) from error
    select = reparsed[0] if reparsed else None
    if not isinstance(select, exp.Select) or len(select.expressions) != 1:
        raise ParseFailed("a JSON operator inside a function call could not be read")
    replacement: exp.Expr = select.expressions[0]
    if lam is statement:
        return replacement
    lam.replace(replacement)
    for node in lam.walk():
        node.parent = None  # the dropped lambda must not wait for the cyclic collector
    return statement


def render(tree: exp.Expr) -> str:
    """Render `tree` as Postgres SQL without comments; raise ParseFailed if it cannot.

    Consumes `tree`: the generator's dialect transforms rewrite nodes in place (it moves
    STRING_AGG's ORDER BY, for one), and copying first would cost more than parsing.
    Comments are dropped because they are attacker text the database would see again.
    """
    generator = _machinery.generator
    # The only state a generator keeps between calls: restart it so that the same
    # tree always renders to the same text.
    generator._next_name = name_sequence("_t")
    try:
        return generator.generate(tree, copy=False)
    except RecursionError as error:
        raise ParseFailed("the statement is nested too deeply to render") from error
    except PARSER_FAILURES as error:
        raise ParseFailed(_first_line(error)) from error


def _first_line(error: BaseException) -> str:
    # sqlglot messages carry ANSI-underlined excerpts over several lines; keep the gist.
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def unlink(nodes: list[exp.Expr]) -> None:
    """Cut the child -> parent links of nodes whose tree is no longer needed.

    A sqlglot tree is a web of reference cycles (every node points at its parent), so it
    is freed only by the cyclic garbage collector. Two trees per validation kept gen-0
    collections busy (~8% of validation time) and promoted garbage towards full
    collections of the worker's heap (~0.1 s each there, the tail latency). Without
    the cycles, reference counting frees each tree as soon as it is dropped. A node
    missing from `nodes` only leaves its tree to the collector, as before.
    """
    for node in nodes:
        node.parent = None


def settle_round_types(nodes: list[exp.Expr]) -> None:
    """Spare the generator a type inference per `round(x::type, n)` (30-100 µs each).

    Postgres has no round(double precision, int), so the generator casts ROUND's
    argument to DECIMAL when it is double precision, and runs sqlglot's type annotator
    over the call to find out unless the call already has a type. When the argument is
    a cast, its type is the cast's target, which is all that decision reads: recording
    it leaves the rendered text unchanged. Other ROUND calls are annotated as before.
    """
    for node in nodes:
        if type(node) is exp.Round and node.type is None and isinstance(node.this, exp.Cast):
            node.type = node.this.to

"""structlog JSON logs; stdlib records (Temporal SDK, workflow.logger) go the same way."""

from __future__ import annotations

import logging
import sys

import structlog

_SHARED: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _exception_fields(
    _: object, __: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    """Exceptions as JSON text, never an object repr (``<traceback object at 0x...>``).

    A business failure (a non-retryable ApplicationError: unknown tenant, unknown CI) is an
    expected answer, so it becomes one line; anything else keeps its formatted traceback."""
    exc_info = event_dict.get("exc_info")
    if not exc_info:
        return event_dict
    if exc_info is True:
        exc_info = sys.exc_info()
    error = exc_info[1] if isinstance(exc_info, tuple) else exc_info
    if isinstance(error, BaseException) and _is_business_failure(error):
        event_dict.pop("exc_info")
        event_dict["exception"] = f"{type(error).__name__}: {error}"
        return event_dict
    return structlog.processors.format_exc_info(_, __, event_dict)


def _is_business_failure(error: BaseException) -> bool:
    from temporalio.exceptions import ApplicationError

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ApplicationError) and seen.non_retryable:
            return True
        seen = seen.__cause__
    return False


def configure_logging(level: str = "INFO", *, json_output: bool = True) -> None:
    renderer: structlog.types.Processor = (
        # default=repr: never reach for optional imports (the workflow sandbox forbids them).
        structlog.processors.JSONRenderer(default=repr)
        if json_output
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            *_SHARED,
            _exception_fields,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            # Records from the Temporal SDK carry exc_info tuples: render them as text too.
            foreign_pre_chain=[*_SHARED, structlog.stdlib.ExtraAdder(), _exception_fields],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())

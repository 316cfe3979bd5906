"""Logs: one line per event on standard output, JSON or for people, through structlog.

The service's own lines (`get_logger`: the access line, the webhook worker) go through
structlog's native loggers: rendering one costs about 5 µs, against about 20 µs through the
standard library's machinery, and the access line is written for every request. Foreign lines
(uvicorn, alembic, anything that logs through `logging`) reach the same processors through the
root handler's formatter. Both get the time (UTC, ISO 8601, key `time`), level, logger name, the
request id of the request in flight, and the same renderer: one JSON object a line
(`CRM_LOG_FORMAT=json`, the default when standard output is not a terminal) or `console`.

`logging_config()` is a `logging.config.dictConfig` document: `crm serve` hands it to uvicorn,
which applies it in every worker process (its formatter factory also configures structlog
there); the other commands apply it with `setup()`. Without either (tests, a Python shell), lines
are JSON or console by the same rule, at level info.
"""

import logging
import logging.config
import sys
from typing import Any

import orjson
import structlog
from structlog.typing import EventDict, WrappedLogger

from app.core.config import Settings
from app.core.request_log import current_request_id

FOREIGN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


def _add_request_id(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    request_id = current_request_id()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


SHARED: tuple[Any, ...] = (
    structlog.stdlib.add_logger_name,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
    _add_request_id,
)


def _dumps(value: Any, **_: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def _renderers(fmt: str) -> list[Any]:
    if fmt == "json":
        return [structlog.processors.format_exc_info, structlog.processors.JSONRenderer(_dumps)]
    return [structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())]


class _Stdout:
    """Writes each rendered line to the current `sys.stdout` (looked up per line, so that a
    redirection is followed) and flushes it, as logging's StreamHandler does."""

    def __init__(self, name: str = "") -> None:
        self.name = name  # read by add_logger_name, as a standard library logger's would be

    def msg(self, message: str) -> None:
        out = sys.stdout
        out.write(message + "\n")
        out.flush()

    debug = info = warning = warn = error = critical = exception = fatal = log = msg


_assembled: dict[str, Any] = {}


def configure(fmt: str, level: str) -> None:
    """The native loggers' processors and level (the root handler's formatter: `formatter`)."""
    structlog.configure(
        processors=[*SHARED, *_renderers(fmt)],
        wrapper_class=structlog.make_filtering_bound_logger(_level(level)),
        logger_factory=_Stdout,
    )
    _assembled.clear()


class Logger:
    """A structured logger: `log.info("event", key=value, ...)`. Made at import, it follows
    later configure() calls; the logger it hands on to is assembled once per configuration
    (assembling it for every line, as structlog's lazy proxy does, costs 10 µs)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, method: str) -> Any:
        logger = _assembled.get(self.name)
        if logger is None:
            logger = _assembled[self.name] = structlog.get_logger(self.name).bind()
        return getattr(logger, method)


def get_logger(name: str) -> Logger:
    return Logger(name)


def formatter(fmt: str = "json", level: str = "info") -> logging.Formatter:
    """The root handler's formatter, which dictConfig calls by name; it configures the native
    loggers of this process alike."""
    configure(fmt, level)
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=list(SHARED),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *_renderers(fmt)],
    )


def log_format(settings: Settings) -> str:
    return settings.log_format or _default_format()


def _default_format() -> str:
    return "console" if sys.stdout.isatty() else "json"


def _level(name: str) -> int:
    level = logging.getLevelName(name.upper())
    return level if isinstance(level, int) else logging.INFO


def logging_config(settings: Settings) -> dict[str, Any]:
    """Everything to standard output through one handler; uvicorn's loggers pass on to it."""
    level = settings.log_level.upper()
    crm = {"()": f"{__name__}.formatter", "fmt": log_format(settings), "level": level}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"crm": crm},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "crm",
                "stream": "ext://sys.stdout",
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {name: {"handlers": [], "propagate": True} for name in FOREIGN_LOGGERS},
    }


def setup(settings: Settings) -> None:
    logging.config.dictConfig(logging_config(settings))


configure(_default_format(), "info")

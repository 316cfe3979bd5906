"""What the request middleware (request id, metrics, access line) costs per request.

A quick loop, no server and no database: the ASGI app is called directly for `GET /healthz`
(the cheapest route), with and without `RequestTelemetry`, and with the access line rendered as
JSON to /dev/null (standard output goes there while the loops run). The difference is the
middleware's cost per request.

    .venv/bin/python -m bench.telemetry
"""

import asyncio
import contextlib
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from app.core.config import Settings
from app.core.logging import configure
from app.main import create_app

REQUESTS = 20_000
ROUNDS = 5
SCOPE = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/healthz",
    "raw_path": b"/healthz",
    "root_path": "",
    "query_string": b"",
    "headers": [(b"host", b"bench"), (b"accept", b"*/*")],
    "client": ("127.0.0.1", 1),
    "server": ("127.0.0.1", 80),
}


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: dict[str, Any]) -> None:
    return None


def _app(*, telemetry: bool, access_log: bool) -> Any:
    settings = Settings(_env_file=None, database_url="sqlite+aiosqlite:///:memory:")
    settings.access_log = access_log
    app = create_app(settings)
    if not telemetry:
        app.user_middleware = [
            m for m in app.user_middleware if m.cls.__name__ != "RequestTelemetry"
        ]
    return app


async def _per_request(app: Any) -> float:
    """Median over rounds of the microseconds one request takes."""
    for _ in range(1000):  # warm up: build the middleware stack, fill caches
        await app(dict(SCOPE), _receive, _send)
    rounds = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(REQUESTS):
            await app(dict(SCOPE), _receive, _send)
        rounds.append((time.perf_counter() - started) / REQUESTS * 1e6)
    return statistics.median(rounds)


async def _measure() -> tuple[float, float, float]:
    bare = await _per_request(_app(telemetry=False, access_log=False))
    metrics = await _per_request(_app(telemetry=True, access_log=False))
    logged = await _per_request(_app(telemetry=True, access_log=True))
    return bare, metrics, logged


def main() -> None:
    configure("json", "info")
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        bare, metrics, logged = asyncio.run(_measure())
    figures = {
        "bare_us": round(bare, 1),
        "request_id_and_metrics_us": round(metrics - bare, 1),
        "with_access_line_us": round(logged - bare, 1),
    }
    print(json.dumps(figures))
    results = Path(__file__).with_name("results")
    results.mkdir(exist_ok=True)
    (results / "telemetry.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()

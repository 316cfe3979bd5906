"""`crm serve` with two worker processes: metrics summed over both, JSON lines from both and
from uvicorn itself. A real server in a separate process, as operators run it."""

import asyncio
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import fresh_database
from tests.test_cli import CRM, _free_port

TOKEN = "scrape-token-for-the-test"
REQUESTS = 40


async def _ready(base_url: str, process: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(base_url=base_url) as http:
        while time.monotonic() < deadline and process.returncode is None:
            try:
                if (await http.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                await asyncio.sleep(0.2)
    process.kill()
    pytest.fail("crm serve did not become ready")


def _requests_counted(text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "crm_http_request_duration_seconds_count"
        and sample.labels["route"] == "/healthz"
    )


async def test_two_workers_share_their_metrics_and_log_json_lines(tmp_path: Path):
    """Database-independent: SQLite is enough to serve /healthz from two processes."""
    async with fresh_database("sqlite", tmp_path) as url:
        port = _free_port()
        env = {
            **os.environ,
            "CRM_DATABASE_URL": url,
            "CRM_PORT": str(port),
            "CRM_WORKERS": "2",
            "CRM_METRICS_TOKEN": TOKEN,
            "CRM_LOG_FORMAT": "json",
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        process = await asyncio.create_subprocess_exec(
            *CRM, "serve", env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            await _ready(base_url, process)
            for _ in range(REQUESTS):  # a connection each: both processes take some
                async with httpx.AsyncClient(base_url=base_url) as http:
                    await http.get("/healthz")
            scrapes = []
            for _ in range(4):
                async with httpx.AsyncClient(base_url=base_url) as http:
                    auth = {"Authorization": f"Bearer {TOKEN}"}
                    scrapes.append((await http.get("/metrics", headers=auth)).text)
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    assert all(_requests_counted(text) == REQUESTS for text in scrapes)
    lines = [json.loads(line) for line in output.decode().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "crm.access"]
    assert sum(line["route"] == "/healthz" for line in access) == REQUESTS
    assert len({line["request_id"] for line in access}) == len(access)
    started = [line for line in lines if line.get("logger", "").startswith("uvicorn")]
    assert any("Started server process" in line["event"] for line in started), started
    assert all({"time", "level", "event"} <= line.keys() for line in lines)

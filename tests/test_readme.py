"""The README tells the truth: its curl walk-through runs, its role table is the code's."""

import asyncio
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.security import PERMISSIONS, Action, Role
from tests.conftest import Tenant, settings_for
from tests.live import live_server

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _section(name: str) -> str:
    match = re.search(rf"<!-- {name} -->\n(.*?)<!-- /{name} -->", README, re.S)
    assert match, f"README has no {name} section"
    return match.group(1)


def test_role_table_is_the_permission_matrix():
    header = "| resource | " + " | ".join(r.value for r in Role) + " |"
    lines = [header, "|---|" + "---|" * len(Role)]
    for resource, actions in PERMISSIONS.items():
        assert actions[Action.write] <= actions[Action.read], "write must include read"
        cells = [
            "write" if r in actions[Action.write] else "read" if r in actions[Action.read] else "-"
            for r in Role
        ]
        lines.append(f"| {resource} | " + " | ".join(cells) + " |")
    assert _section("roles").strip() == "\n".join(lines)


def test_every_setting_is_in_the_configuration_table():
    for name in Settings.model_fields:
        assert f"| `CRM_{name.upper()}` |" in README, f"CRM_{name.upper()} is not documented"


async def test_curl_walkthrough_runs_as_written(database_url: str, tenant: Tenant):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    script = re.search(r"```sh\n(.*?)```", _section("walkthrough"), re.S).group(1)
    key = tenant.api.headers["authorization"].removeprefix("Bearer ")
    with live_server(settings_for(database_url)) as base_url:
        process = await asyncio.create_subprocess_exec(
            "bash",
            "-euo",
            "pipefail",
            "-c",
            script.replace("http://127.0.0.1:8000", base_url),
            env={**os.environ, "KEY": key},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    created, listed, patched, deleted = stdout.decode().strip().split("\n")
    assert json.loads(created)["email"] == "ada@example.com"
    assert [c["email"] for c in json.loads(listed)["data"]] == ["ada@example.com"]
    assert json.loads(patched)["lifecycle_stage"] == "prospect"
    assert deleted == "204"
    assert (await tenant.api.get("/api/v1/contacts")).json()["data"] == []

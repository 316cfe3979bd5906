"""The `crm` command, run as users run it: a separate process against the database."""

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Connection, inspect, text

from app.core import migrate
from app.core.config import Settings
from app.core.db import create_engine
from app.core.security import key_prefix
from tests.conftest import SETUP, fresh_database

CRM = [str(Path(sys.executable).with_name("crm"))]
KEY = re.compile(r"crm_[A-Za-z0-9]{8}_[A-Za-z0-9]{40}")


def crm(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CRM_DATABASE_URL": database_url}
    return subprocess.run([*CRM, *args], env=env, capture_output=True, text=True, timeout=60)


async def test_workspace_and_key_creation_print_json_keys_that_work(database_url: str, app, client):
    created = crm(database_url, "workspace", "create", "Acme", "--currency", "eur", "--json")
    assert created.returncode == 0, created.stderr
    workspace = json.loads(created.stdout)
    admin = {"Authorization": f"Bearer {workspace['api_key']}"}
    response = await client.get("/api/v1/workspace", headers=admin)
    assert response.json()["name"] == "Acme"
    assert response.json()["currency"] == "EUR"
    assert response.json()["id"] == workspace["workspace_id"]
    await app.state.key_usage.drain()  # written beside the request; `crm` blocks this loop

    made = crm(
        database_url,
        "apikey",
        "create",
        "--workspace",
        workspace["workspace_id"],
        "--role",
        "viewer",
        "--json",
    )
    assert made.returncode == 0, made.stderr
    viewer = {"Authorization": f"Bearer {json.loads(made.stdout)['api_key']}"}
    assert (await client.get("/api/v1/contacts", headers=viewer)).status_code == 200
    refused = await client.post("/api/v1/contacts", headers=viewer, json={"first_name": "V"})
    assert refused.status_code == 403


async def test_workspace_list_and_key_list_rotate_revoke(database_url: str, app, client):
    workspace = json.loads(crm(database_url, "workspace", "create", "Listed", "--json").stdout)
    listed = crm(database_url, "workspace", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    found = [w for w in json.loads(listed.stdout) if w["id"] == workspace["workspace_id"]]
    assert found[0]["name"] == "Listed"
    assert workspace["workspace_id"] in crm(database_url, "workspace", "list").stdout

    ws = workspace["workspace_id"]
    viewer = json.loads(
        crm(
            database_url, "apikey", "create", "--workspace", ws, "--role", "viewer", "--json"
        ).stdout
    )
    keys = json.loads(crm(database_url, "apikey", "list", "--workspace", ws, "--json").stdout)
    assert [k["role"] for k in keys] == ["viewer", "admin"]  # newest first
    assert all("key" not in k and "key_hash" not in k for k in keys)
    assert viewer["api_key"] not in crm(database_url, "apikey", "list", "--workspace", ws).stdout

    rotated = crm(database_url, "apikey", "rotate", viewer["id"], "--json")
    assert rotated.returncode == 0, rotated.stderr
    new = json.loads(rotated.stdout)
    assert new["replaces"] == viewer["id"]
    old_auth = {"Authorization": f"Bearer {viewer['api_key']}"}
    new_auth = {"Authorization": f"Bearer {new['api_key']}"}
    assert (await client.get("/api/v1/contacts", headers=old_auth)).status_code == 401
    assert (await client.get("/api/v1/contacts", headers=new_auth)).status_code == 200
    # The key's use is written beside the request; this test blocks its loop on `crm` next.
    await app.state.key_usage.drain()

    revoked = crm(database_url, "apikey", "revoke", new["id"])
    assert revoked.returncode == 0, revoked.stderr
    app.state.key_cache.forget(uuid.UUID(new["id"]))  # another process: once its cache expires
    assert (await client.get("/api/v1/contacts", headers=new_auth)).status_code == 401
    again = crm(database_url, "apikey", "revoke", new["id"])
    assert "already" in again.stdout

    admin_id = next(k["id"] for k in keys if k["role"] == "admin")
    last = crm(database_url, "apikey", "revoke", admin_id)
    assert last.returncode != 0
    assert "last admin key" in last.stderr
    unknown = crm(database_url, "apikey", "rotate", str(uuid.uuid4()))
    assert unknown.returncode != 0
    assert "no API key" in unknown.stderr

    admin = {"Authorization": f"Bearer {workspace['api_key']}"}
    entries = (await client.get("/api/v1/audit", headers=admin)).json()["data"]
    assert [e["action"] for e in reversed(entries)] == [
        "api_key.created",
        "api_key.rotated",
        "api_key.revoked",
    ]
    assert {e["actor_key_id"] for e in entries} == {None}


async def test_cli_refuses_bad_input_with_a_message(database_url: str):
    bad_currency = crm(database_url, "workspace", "create", "X", "--currency", "ABC")
    assert bad_currency.returncode != 0
    assert "ISO 4217" in bad_currency.stderr
    unknown = crm(
        database_url,
        "apikey",
        "create",
        "--workspace",
        "00000000-0000-4000-8000-000000000000",
        "--role",
        "sales",
    )
    assert unknown.returncode != 0
    assert "no workspace" in unknown.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _serve_until_ready(database_url: str) -> tuple[asyncio.subprocess.Process, str]:
    port = _free_port()
    env = {**os.environ, "CRM_DATABASE_URL": database_url, "CRM_PORT": str(port)}
    process = await asyncio.create_subprocess_exec(
        *CRM, "serve", env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(base_url=base_url) as http:
        while time.monotonic() < deadline and process.returncode is None:
            try:
                if (await http.get("/readyz")).status_code == 200:
                    return process, base_url
            except httpx.TransportError:
                await asyncio.sleep(0.2)
    if process.returncode is None:
        process.kill()
    output, _ = await process.communicate()
    pytest.fail(f"crm serve did not become ready:\n{output.decode()}")


async def _stop(process: asyncio.subprocess.Process) -> str:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    return output.decode()


async def test_first_serve_migrates_creates_default_workspace_and_prints_its_key_once(
    backend: str, tmp_path: Path
):
    async with fresh_database(backend, tmp_path) as url:
        process, base_url = await _serve_until_ready(url)
        try:
            async with httpx.AsyncClient(base_url=base_url) as http:
                health = await http.get("/healthz")
                assert health.json() == {"status": "ok"}
                api = await http.get("/api/v1/contacts")
            for response in (health, api):
                assert "server" not in response.headers  # no banner naming the software
                assert response.headers["x-content-type-options"] == "nosniff"
            assert api.headers["cache-control"] == "no-store"
        finally:
            output = await _stop(process)
        keys = KEY.findall(output)
        assert len(keys) == 1, output

        process, base_url = await _serve_until_ready(url)
        try:
            headers = {"Authorization": f"Bearer {keys[0]}"}
            async with httpx.AsyncClient(base_url=base_url, headers=headers) as http:
                workspace = await http.get("/api/v1/workspace")
            assert workspace.status_code == 200
            assert workspace.json()["name"] == "default"
        finally:
            second_output = await _stop(process)
        assert KEY.findall(second_output) == []


async def _query(database_url: str, work):  # type: ignore[no-untyped-def]
    engine = create_engine(Settings(database_url=database_url, _env_file=None))
    try:
        async with engine.connect() as conn:
            await conn.execution_options(**SETUP)
            return await conn.run_sync(work)
    finally:
        await engine.dispose()


def _workspaces_and_keys(conn: Connection) -> tuple[list[str], list[tuple[str, str]]]:
    names = conn.execute(text("SELECT name FROM workspaces")).scalars().all()
    keys = conn.execute(text("SELECT prefix, role FROM api_keys")).all()
    return list(names), [(prefix, role) for prefix, role in keys]


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def _set_unknown_revision(conn: Connection) -> None:
    conn.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    conn.commit()


def _sqlite_file_exists(url: str) -> bool:
    return Path(url.split(":///", 1)[1]).exists()


async def _start_at_once(url: str, command: str, count: int) -> list[str]:
    """The output of `count` processes of `crm <command>` started at once on the database; each
    must succeed (a `serve` must become ready, and is then stopped)."""
    if command == "migrate":
        env = {**os.environ, "CRM_DATABASE_URL": url}
        processes = [
            await asyncio.create_subprocess_exec(
                *CRM, "migrate", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for _ in range(count)
        ]
        results = [await asyncio.wait_for(p.communicate(), timeout=120) for p in processes]
        for process, (_, error) in zip(processes, results, strict=True):
            assert process.returncode == 0, error.decode()
        return [output.decode() for output, _ in results]
    started = await asyncio.gather(
        *(_serve_until_ready(url) for _ in range(count)), return_exceptions=True
    )
    outputs = [await _stop(item[0]) for item in started if not isinstance(item, BaseException)]
    for item in started:
        if isinstance(item, BaseException):
            raise item
    return outputs


@pytest.mark.parametrize("command", ["migrate", "serve"])
async def test_four_instances_started_at_once_on_an_empty_database_make_one_workspace_and_key(
    backend: str, command: str, tmp_path: Path
):
    async with fresh_database(backend, tmp_path) as url:
        outputs = await _start_at_once(url, command, 4)
        printed = [KEY.findall(output) for output in outputs]
        assert sorted(len(keys) for keys in printed) == [0, 0, 0, 1], outputs
        (key,) = [keys[0] for keys in printed if keys]
        names, keys = await _query(url, _workspaces_and_keys)
        assert names == ["default"]
        assert keys == [(key_prefix(key), "admin")]
        assert (await asyncio.to_thread(migrate.status, url)).at_head


async def test_migrate_check_tells_whether_the_database_is_at_head_and_changes_nothing(
    backend: str, tmp_path: Path
):
    async with fresh_database(backend, tmp_path) as url:
        behind = crm(url, "migrate", "--check")
        assert behind.returncode == 1
        assert "behind" in behind.stderr
        assert "never migrated" in behind.stderr
        if backend == "sqlite":
            assert not _sqlite_file_exists(url)  # not even created
        else:
            assert await _query(url, _tables) == set()

        assert crm(url, "migrate").returncode == 0
        at_head = crm(url, "migrate", "--check")
        assert at_head.returncode == 0, at_head.stderr
        assert "at head" in at_head.stdout

        await _query(url, _set_unknown_revision)
        ahead = crm(url, "migrate", "--check")
        assert ahead.returncode == 1
        assert "ahead" in ahead.stderr
        assert "f00d" in ahead.stderr


async def test_serve_no_migrate_leaves_an_empty_database_empty(backend: str, tmp_path: Path):
    async with fresh_database(backend, tmp_path) as url:
        port = _free_port()
        env = {**os.environ, "CRM_DATABASE_URL": url, "CRM_PORT": str(port)}
        process = await asyncio.create_subprocess_exec(
            *CRM, "serve", "--no-migrate", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        # It serves (its health check answers) or gives up on the empty database; either way
        # it has started as far as it would migrate.
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            while time.monotonic() < deadline and process.returncode is None:
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
            else:
                assert process.returncode is not None, (
                    "crm serve --no-migrate neither served nor stopped"
                )
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
        assert KEY.findall(output.decode()) == []
        if backend == "postgresql" or _sqlite_file_exists(url):
            assert await _query(url, _tables) == set()

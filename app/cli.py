"""The `crm` command: serve, migrate, deliver webhooks, manage workspaces and API keys, back up
and restore the database."""

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from app.bootstrap import create_workspace, start
from app.core import backup, migrate
from app.core.config import Settings, get_settings
from app.core.currency import CurrencyCode
from app.core.db import open_database
from app.core.logging import logging_config
from app.core.logging import setup as setup_logging
from app.core.security import Role
from app.core.types import utcnow
from app.demo.load import DemoError, fill
from app.main import create_app
from app.webhooks.worker import serve as serve_worker
from app.workspaces.service import (
    MAX_ROTATION_OVERLAP,
    add_key,
    keys_of,
    list_workspaces,
    revoke_by_id,
    rotate_by_id,
    workspace_exists,
    workspace_named,
)


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    settings = get_settings()
    try:
        args.run(settings, args)
    except (ValueError, LookupError, backup.BackupError) as exc:
        sys.exit(f"crm: {exc}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm", description="Headless CRM API service.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="apply migrations (and create the `default` workspace on an empty database), "
        "then serve the API",
    )
    serve.add_argument("--host", help="interface to bind (CRM_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (CRM_PORT, default 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (CRM_WORKERS, default 1)")
    serve.add_argument(
        "--no-migrate",
        action="store_true",
        help="serve without migrating or creating the `default` workspace (a separate job "
        "runs `crm migrate`)",
    )
    serve.set_defaults(run=_serve)

    up = commands.add_parser(
        "migrate",
        help="apply migrations up to REVISION (default head) and, on an empty database, "
        "create the `default` workspace",
    )
    up.add_argument("revision", nargs="?", default="head")
    up.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 0 if the database is at head, else 1 with a message",
    )
    up.set_defaults(run=_migrate)

    workspace = commands.add_parser("workspace", help="manage workspaces").add_subparsers(
        required=True, metavar="ACTION"
    )
    create_ws = workspace.add_parser("create", help="create a workspace with an admin key")
    create_ws.add_argument("name")
    create_ws.add_argument("--currency", default="USD", help="base currency (ISO 4217)")
    create_ws.add_argument("--json", action="store_true", help="print JSON")
    create_ws.set_defaults(run=_create_workspace)
    list_ws = workspace.add_parser("list", help="list the workspaces, oldest first")
    list_ws.add_argument("--json", action="store_true", help="print JSON")
    list_ws.set_defaults(run=_list_workspaces)

    apikey = commands.add_parser("apikey", help="manage API keys").add_subparsers(
        required=True, metavar="ACTION"
    )
    create_key = apikey.add_parser("create", help="create an API key in a workspace")
    create_key.add_argument("--workspace", required=True, type=uuid.UUID, help="workspace id")
    create_key.add_argument("--role", required=True, choices=[r.value for r in Role])
    create_key.add_argument("--name", default="created with the CLI")
    create_key.add_argument("--json", action="store_true", help="print JSON")
    create_key.set_defaults(run=_create_api_key)
    list_keys = apikey.add_parser("list", help="list a workspace's API keys, newest first")
    list_keys.add_argument("--workspace", required=True, type=uuid.UUID, help="workspace id")
    list_keys.add_argument("--json", action="store_true", help="print JSON")
    list_keys.set_defaults(run=_list_api_keys)
    revoke_key = apikey.add_parser("revoke", help="revoke an API key (the last admin key stays)")
    revoke_key.add_argument("key_id", type=uuid.UUID, metavar="KEY_ID")
    revoke_key.set_defaults(run=_revoke_api_key)
    rotate_key = apikey.add_parser(
        "rotate", help="replace an API key by a new one with the same role and limits"
    )
    rotate_key.add_argument("key_id", type=uuid.UUID, metavar="KEY_ID")
    rotate_key.add_argument(
        "--overlap-seconds",
        type=int,
        default=0,
        help="how long the old key keeps working (default 0: revoked at once; at most 86400)",
    )
    rotate_key.add_argument("--json", action="store_true", help="print JSON")
    rotate_key.set_defaults(run=_rotate_api_key)

    worker = commands.add_parser(
        "worker", help="deliver webhooks until SIGINT or SIGTERM (no migrations are applied)"
    )
    worker.set_defaults(run=_worker)

    demo = commands.add_parser(
        "demo", help="fill a workspace with a made-up shop of two years (migrates first)"
    )
    demo.add_argument(
        "--workspace",
        type=uuid.UUID,
        help="workspace id (default: the one named `default`, created on an empty database)",
    )
    demo.add_argument("--size", choices=("small", "large"), default="small")
    demo.add_argument("--seed", type=int, default=1, help="the same seed gives the same shop")
    demo.set_defaults(run=_demo)

    save = commands.add_parser(
        "backup", help="write a backup of the database to PATH (while the service runs)"
    )
    save.add_argument("path", type=Path, metavar="PATH")
    save.set_defaults(run=lambda settings, args: print(backup.backup(settings, args.path)))

    load = commands.add_parser(
        "restore", help="replace the database's contents with the backup at PATH"
    )
    load.add_argument("path", type=Path, metavar="PATH")
    load.add_argument(
        "--force",
        action="store_true",
        help="replace a database that already holds data (stop the service first)",
    )
    load.set_defaults(
        run=lambda settings, args: print(backup.restore(settings, args.path, force=args.force))
    )

    openapi = commands.add_parser("openapi", help="print the OpenAPI document")
    openapi.add_argument("--output", help="write to this file instead of stdout")
    openapi.set_defaults(run=_openapi)
    return parser


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    setup_logging(settings)
    if not args.no_migrate:
        _print_new_key(start(settings))
    workers = args.workers or settings.workers
    with _metrics_directory(workers):
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=args.host or settings.host,
            port=args.port or settings.port,
            workers=workers,
            loop="uvloop",
            http="httptools",
            access_log=False,  # the service writes its own (app/core/telemetry.py)
            log_config=logging_config(settings),
            log_level=settings.log_level,
            proxy_headers=True,
            server_header=False,  # no banner naming the server software
        )


@contextlib.contextmanager
def _metrics_directory(workers: int) -> Iterator[None]:
    """Several processes share their metrics through files (prometheus_client's multiprocess
    mode): a fresh directory for this run, unless PROMETHEUS_MULTIPROC_DIR names one."""
    if workers <= 1 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        yield
        return
    directory = tempfile.mkdtemp(prefix="crm-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory  # the worker processes inherit it
    try:
        yield
    finally:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
        shutil.rmtree(directory, ignore_errors=True)


def _worker(settings: Settings, args: argparse.Namespace) -> None:
    setup_logging(settings)
    asyncio.run(serve_worker(settings))


def _migrate(settings: Settings, args: argparse.Namespace) -> None:
    if args.check:
        try:
            status = migrate.status(settings.database_url)
        except (OSError, SQLAlchemyError) as exc:
            sys.exit(f"crm migrate --check: cannot read the database: {exc}")
        if not status.at_head:
            sys.exit(f"crm migrate --check: {status.describe()}")
        print(status.describe())
    elif args.revision == "head":
        # As `crm serve` would have: a migrate job leaves the database ready to serve.
        _print_new_key(start(settings))
    else:
        migrate.upgrade(settings.database_url, args.revision)


def _print_new_key(key: str | None) -> None:
    if key:
        print(
            "Created the workspace `default` on this empty database.\n"
            "Its admin API key (shown only this once; keep it safe):\n\n"
            f"    {key}\n",
            flush=True,
        )


def _demo(settings: Settings, args: argparse.Namespace) -> None:
    workspace_id = args.workspace
    if workspace_id is None:
        _print_new_key(start(settings))
        workspace_id = _in_transaction(settings, _default_workspace)
    else:
        migrate.upgrade(settings.database_url)
    try:
        counts = asyncio.run(fill(settings, workspace_id, args.size, args.seed, utcnow()))
    except DemoError as exc:
        sys.exit(f"crm demo: {exc}")
    written = ", ".join(f"{count} {name}" for name, count in counts.items())
    print(f"Filled workspace {workspace_id} with a demo shop: {written}.")


async def _default_workspace(session: AsyncSession) -> uuid.UUID:
    workspace_id = await workspace_named(session, "default")
    if workspace_id is None:
        raise LookupError("no workspace is named `default`; pass --workspace ID")
    return workspace_id


def _create_workspace(settings: Settings, args: argparse.Namespace) -> None:
    try:
        currency = TypeAdapter(CurrencyCode).validate_python(args.currency)
    except ValidationError as exc:
        raise ValueError(f"--currency: {exc.errors()[0]['msg']}") from exc

    async def create(session: AsyncSession) -> dict[str, str]:
        workspace, key = await create_workspace(session, args.name, currency, settings)
        return {"workspace_id": str(workspace.id), "api_key": key}

    _report(_in_transaction(settings, create), args.json)


def _create_api_key(settings: Settings, args: argparse.Namespace) -> None:
    async def create(session: AsyncSession) -> dict[str, str]:
        if not await workspace_exists(session, args.workspace):
            raise LookupError(f"no workspace with id {args.workspace}")
        record, key = await add_key(session, args.workspace, Role(args.role), args.name)
        return {"id": str(record.id), "role": record.role.value, "api_key": key}

    _report(_in_transaction(settings, create), args.json)


def _list_workspaces(settings: Settings, args: argparse.Namespace) -> None:
    _table(_in_transaction(settings, list_workspaces), args.json)


def _list_api_keys(settings: Settings, args: argparse.Namespace) -> None:
    async def find(session: AsyncSession) -> list[dict[str, Any]]:
        if not await workspace_exists(session, args.workspace):
            raise LookupError(f"no workspace with id {args.workspace}")
        return await keys_of(session, args.workspace)

    _table(_in_transaction(settings, find), args.json)


def _revoke_api_key(settings: Settings, args: argparse.Namespace) -> None:
    revoked = _in_transaction(settings, lambda session: revoke_by_id(session, args.key_id))
    print(f"Revoked API key {args.key_id}." if revoked else f"{args.key_id} was revoked already.")


def _rotate_api_key(settings: Settings, args: argparse.Namespace) -> None:
    overlap = timedelta(seconds=args.overlap_seconds)
    if not timedelta(0) <= overlap <= MAX_ROTATION_OVERLAP:
        raise ValueError("--overlap-seconds: from 0 to 86400")

    async def rotate(session: AsyncSession) -> dict[str, str]:
        record, key = await rotate_by_id(session, args.key_id, overlap)
        return {"id": str(record.id), "replaces": str(args.key_id), "api_key": key}

    _report(_in_transaction(settings, rotate), args.json)


def _openapi(settings: Settings, args: argparse.Namespace) -> None:
    document = json.dumps(create_app(settings).openapi(), indent=2, ensure_ascii=False) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(document)
    else:
        sys.stdout.write(document)


def _in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        db = open_database(settings)
        try:
            async with db.writer() as session, session.begin():
                return await work(session)
        finally:
            await db.dispose()

    return asyncio.run(run())


def _table(rows: list[dict[str, Any]], as_json: bool) -> None:
    """Rows as a JSON list, or one tab-separated line each."""
    if as_json:
        print(json.dumps(rows, default=_cell))
        return
    for row in rows:
        print("\t".join("-" if value is None else _cell(value) for value in row.values()))


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value))
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _report(values: dict[str, str], as_json: bool) -> None:
    if as_json:
        print(json.dumps(values))
    else:
        for name, value in values.items():
            print(f"{name}: {value}")

"""The `feedback` command: run the API, migrate, load reference and demo data, write the spec."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.api.settings import PROJECT_ROOT, Settings, get_settings

OPENAPI_PATH = PROJECT_ROOT / "openapi" / "openapi.json"
T = TypeVar("T")


def _database_url(settings: Settings) -> str:
    from services.api.main import resolve_database_url

    return resolve_database_url(settings)


def _in_transaction(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one committed transaction on its own engine."""
    from services.api.storage.database import make_engine, make_sessionmaker

    async def run() -> T:
        engine = make_engine(url, pool_size=1)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def openapi_document() -> str:
    """The app's OpenAPI document as committed: indented JSON with a final newline."""
    from services.api.main import create_app

    return json.dumps(create_app(Settings()).openapi(), indent=2, ensure_ascii=False) + "\n"


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from services.api.storage.migrate import upgrade

    upgrade(_database_url(settings), args.revision)
    print(f"database migrated to {args.revision}")
    return 0


def cmd_load_profile(args: argparse.Namespace, settings: Settings) -> int:
    from services.api.domain.profile import load_profile

    loaded = _in_transaction(_database_url(settings), lambda s: load_profile(s, Path(args.file)))
    print(
        f"{loaded.council}: {loaded.services} service areas, {loaded.teams} teams, "
        f"{loaded.natures} natures loaded"
    )
    return 0


def cmd_recompute(args: argparse.Namespace, settings: Settings) -> int:
    from services.api.domain.calendar import CalendarCache
    from services.api.domain.feedback import recompute_open_items
    from services.api.settings import get_targets
    from services.api.storage.database import driver_connection

    async def work(session: AsyncSession) -> int:
        calendar = await CalendarCache().get(await driver_connection(session))
        return await recompute_open_items(session, calendar, get_targets())

    moved = _in_transaction(_database_url(settings), work)
    print(f"{moved} open items had their due dates recomputed")
    return 0


def cmd_create_key(args: argparse.Namespace, settings: Settings) -> int:
    from pydantic import ValidationError

    from services.api.domain.access import create_key
    from services.api.errors import ProblemError
    from services.api.models.access import ApiKeyCreate

    try:
        # As the API reads it: an expiry without its offset is refused, not guessed at.
        data = ApiKeyCreate.model_validate(
            {
                "name": args.name,
                "role": args.role,
                "member_person_id": args.member_person_id,
                "expires_at": args.expires,
            }
        )
    except ValidationError as error:
        flags = {"expires_at": "--expires"}
        for problem in error.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "key"
            flag = flags.get(field, "--" + field.replace("_", "-"))
            print(f"feedback: {flag}: {problem['msg']}", file=sys.stderr)
        return 2
    try:
        created = _in_transaction(_database_url(settings), lambda s: create_key(s, data))
    except ProblemError as error:
        print(f"feedback: {error.detail}", file=sys.stderr)
        return 1
    print(f"created {created.role} key {created.name!r} (shown once, keep it safe):")
    print(created.key)
    return 0


def cmd_retention(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import date

    from services.api.domain.people import apply_retention

    today = date.today()
    cutoff = today.replace(year=today.year - args.years)
    result = _in_transaction(
        _database_url(settings), lambda s: apply_retention(s, cutoff, dry_run=args.dry_run)
    )
    verb = "would pseudonymise" if args.dry_run else "pseudonymised"
    print(
        f"retention: {verb} {len(result.pseudonymised)} people whose every case closed before "
        f"{result.cutoff}; {result.held} kept for cases under legal hold"
    )
    if result.pseudonymised:
        print("person ids: " + ", ".join(str(i) for i in result.pseudonymised))
    return 0


def cmd_openapi(args: argparse.Namespace, settings: Settings) -> int:
    document = openapi_document()
    if args.check:
        if not OPENAPI_PATH.exists() or OPENAPI_PATH.read_text() != document:
            print("openapi/openapi.json differs from the app: run `feedback openapi`")
            return 1
        print("openapi/openapi.json matches the app")
        return 0
    OPENAPI_PATH.parent.mkdir(exist_ok=True)
    OPENAPI_PATH.write_text(document)
    print(f"wrote {OPENAPI_PATH.relative_to(PROJECT_ROOT)}")
    return 0


def _serve(settings: Settings, url: str) -> int:
    import uvicorn

    from services.api.http.observability import configure_logging
    from services.api.main import create_app

    app = create_app(settings.model_copy(update={"database_url": url}))
    base = f"http://{settings.host}:{settings.port}"
    print(f"\nThe feedback API is running at {base}  (docs: {base}/docs)\n", flush=True)
    configure_logging(settings.log_level)
    # JSON logs of our own (uvicorn's access line would log raw query strings); requests in
    # flight are drained on shutdown.
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=round(settings.shutdown_grace_seconds),
        timeout_keep_alive=settings.keep_alive_seconds,
    )
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    return _serve(settings, _database_url(settings))


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from services.api.demo.loader import load_demo
    from services.api.storage.migrate import upgrade

    url = _database_url(settings)
    where = (
        "DATABASE_URL" if settings.database_url else f"embedded PostgreSQL in {settings.data_dir}"
    )
    print(f"database: {where}", flush=True)
    upgrade(url)
    loaded = _in_transaction(url, load_demo)
    print(
        f"demo council loaded: {loaded.items_created} items created, "
        f"{loaded.items_already_held} already held, {loaded.escalations} escalations, "
        f"{loaded.remedies} remedies",
        flush=True,
    )
    from services.api.demo.loader import demo_keys

    keys = _in_transaction(url, demo_keys)
    keys_file = settings.data_dir / "demo-keys.json"
    keys_file.write_text(json.dumps(keys, indent=2) + "\n")
    keys_file.chmod(0o600)
    print("\ndemo API keys (one per role; also in .data/demo-keys.json), for /docs -> Authorize:")
    for role, key in keys.items():
        print(f"  {role:<9} {key}")
    if args.no_serve:
        return 0
    return _serve(settings, url)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `feedback` command."""
    parser = argparse.ArgumentParser(prog="feedback", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the API").set_defaults(run=cmd_serve)
    demo = commands.add_parser("demo", help="migrate, load the demo council and run the API")
    demo.add_argument("--no-serve", action="store_true", help="load the demo data and stop")
    demo.set_defaults(run=cmd_demo)
    migrate = commands.add_parser("migrate", help="apply the Alembic migrations")
    migrate.add_argument("revision", nargs="?", default="head")
    migrate.set_defaults(run=cmd_migrate)
    profile = commands.add_parser("load-profile", help="load a council profile (TOML)")
    profile.add_argument("file")
    profile.set_defaults(run=cmd_load_profile)
    commands.add_parser(
        "recompute", help="recompute open items' due dates (after a calendar change)"
    ).set_defaults(run=cmd_recompute)
    key = commands.add_parser("create-key", help="create an API key (also the first admin key)")
    key.add_argument("--name", required=True)
    key.add_argument("--role", required=True, choices=["crm", "portal", "bi", "reporter", "admin"])
    key.add_argument("--member-person-id", type=int, help="the member a portal key serves")
    key.add_argument("--expires", help="expiry, RFC 3339 with its offset: 2027-03-31T17:00:00Z")
    key.set_defaults(run=cmd_create_key)
    retention = commands.add_parser(
        "retention", help="pseudonymise people whose every case closed years ago"
    )
    retention.add_argument("--years", type=int, default=6)
    retention.add_argument("--dry-run", action="store_true", help="report, change nothing")
    retention.set_defaults(run=cmd_retention)
    openapi = commands.add_parser("openapi", help="write openapi/openapi.json from the app")
    openapi.add_argument("--check", action="store_true", help="fail if the file differs")
    openapi.set_defaults(run=cmd_openapi)
    args = parser.parse_args(argv)
    code: int = args.run(args, get_settings())
    return code


if __name__ == "__main__":
    sys.exit(main())

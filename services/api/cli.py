"""The `feedback` command: run the API, migrate, load reference and demo data, write the spec."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.api.models.enums import Ombudsman
from services.api.settings import PROJECT_ROOT, Settings, get_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from services.api.domain.audit import Actor

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


def write_private(path: Path, content: str) -> None:
    """Write a file only its owner can read, whole or not at all (its folder made if need be)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    # Made readable by the owner alone from the start, never for a moment by anyone else.
    handle = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(handle, "w") as file:
            file.write(content)
        os.chmod(draft, 0o600)  # an old draft left by a crash keeps its own mode
        os.replace(draft, path)
    except BaseException:
        draft.unlink(missing_ok=True)
        raise


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

    async def work(session: AsyncSession) -> int:
        calendar = await CalendarCache().get(await session.connection())
        return await recompute_open_items(session, calendar, get_targets())

    moved = _in_transaction(_database_url(settings), work)
    print(f"{moved} open items had their due dates recomputed")
    return 0


def cmd_create_key(args: argparse.Namespace, settings: Settings) -> int:
    from pydantic import ValidationError

    from services.api.domain.access import create_key
    from services.api.domain.audit import record_command
    from services.api.errors import ProblemError
    from services.api.models.access import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic

    try:
        # As the API reads it: an expiry without its offset is refused, not guessed at.
        data = ApiKeyCreate.model_validate(
            {
                "name": args.name,
                "role": args.role,
                "member_person_id": args.member_person_id,
                "source_system": args.source_system,
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

    async def work(session: AsyncSession) -> ApiKeyCreated:
        created = await create_key(session, data)
        after = ApiKeyPublic.model_validate(created).model_dump(mode="json")
        await record_command(session, "key_create", "api_key", [str(created.id)], after=after)
        return created

    try:
        created = _in_transaction(_database_url(settings), work)
    except ProblemError as error:
        print(f"feedback: {error.detail}", file=sys.stderr)
        return 1
    print(
        f"created {created.role} key {created.name!r} recording as {created.source_system!r}"
        " (shown once, keep it safe):"
    )
    print(created.key)
    return 0


def cmd_retention(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import date

    from services.api.domain.audit import record_command
    from services.api.domain.people import RetentionResult, apply_retention

    today = date.today()
    cutoff = today.replace(year=today.year - args.years)

    async def work(session: AsyncSession) -> RetentionResult:
        result = await apply_retention(session, cutoff, dry_run=args.dry_run)
        if not args.dry_run:
            ids = [str(i) for i in result.pseudonymised]
            after = {"retention_cutoff": cutoff.isoformat()}
            await record_command(session, "retention", "person", ids, after=after)
        return result

    result = _in_transaction(_database_url(settings), work)
    verb = "would pseudonymise" if args.dry_run else "pseudonymised"
    print(
        f"retention: {verb} {len(result.pseudonymised)} people whose every case closed before "
        f"{result.cutoff}; {result.held} kept for cases under legal hold"
    )
    if result.pseudonymised:
        print("person ids: " + ", ".join(str(i) for i in result.pseudonymised))
    return 0


def _cli_actor() -> Actor:
    """Who runs the command, for the audit trail: the command line, with the admin role (which
    may record items under any source system)."""
    from services.api.domain.audit import COMMAND_LINE, Actor
    from services.api.models.access import Role

    return Actor(
        key_id=0,
        name=COMMAND_LINE,
        role=Role.admin,
        member_person_id=None,
        request_id=None,
        source_system="command-line",
    )


def _print_problem(error: Any) -> None:
    print(f"feedback: {error.detail}", file=sys.stderr)
    for problem in error.errors[:200]:
        print(f"  {problem.field}: {problem.detail}", file=sys.stderr)
    if len(error.errors) > 200:
        print(f"  ... and {len(error.errors) - 200:,} more", file=sys.stderr)


class _Bar:
    """The import's progress on the terminal: rows read, checked and written, with rates."""

    def __init__(self, enabled: bool) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            Task,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task: Task) -> Text:
                speed = task.finished_speed or task.speed
                return Text("" if not speed else f"{speed:,.0f} rows/s")

        self.progress = Progress(
            TextColumn("{task.description:>14}"),
            BarColumn(),
            MofNCompleteColumn(),
            Rate(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=not enabled,
        )
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> _Bar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()
        self.progress.stop()

    def start(self, label: str, rows: int | None) -> None:
        """A new pass over the file."""
        self.finish()
        self.tasks = {
            "read": self.progress.add_task(f"{label}: read", total=rows),
            "checked": self.progress.add_task("checked", total=None),
            "written": self.progress.add_task("written", total=None),
        }

    def finish(self) -> None:
        """The counts reached are the totals."""
        for task_id in self.tasks.values():
            task = self.progress.tasks[task_id]
            self.progress.update(task_id, total=task.completed)

    def read(self, rows: int) -> None:
        """Rows read from the file."""
        self.progress.advance(self.tasks["read"], rows)

    def checked(self, rows: int) -> None:
        """Rows checked."""
        self.progress.advance(self.tasks["checked"], rows)

    def written(self, rows: int) -> None:
        """Rows written."""
        self.progress.advance(self.tasks["written"], rows)


def _print_report(report: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    done = "would be created" if report.dry_run else "created"
    verb = "dry run: nothing written" if report.dry_run else "imported"
    if not report.dry_run and report.record is None:
        verb = "nothing new: nothing written"
    console.print(f"{report.file_name} with the mapping {report.mapping} ({verb})")
    console.print(
        f"  {report.rows:,} rows: {report.created:,} {done}, {report.already_held:,} already "
        f"held, {report.duplicates:,} repeated, {report.rejected:,} rejected; "
        f"{report.skipped:,} blank or totals rows skipped"
    )
    for sheet in report.sheets:
        rows = "-".join(str(r) for r in (sheet.header_rows[0], sheet.header_rows[-1]))
        extra = ""
        if sheet.columns_not_mapped:
            extra = "; not read: " + ", ".join(sheet.columns_not_mapped)
        console.print(
            f"  {sheet.sheet}: header rows {rows}, {sheet.rows:,} rows, {sheet.skipped_blank:,} "
            f"blank, {sheet.skipped_totals:,} totals{extra}"
        )
    rejected = [n for n in report.notes if n.status == "rejected"]
    if rejected:
        console.print(f"rejected ({report.rejected:,} rows):")
        for note in rejected[:100]:
            column = f" ({note.column})" if note.column else ""
            console.print(f"  {note.cell}{column}: {note.reason}")
        if len(rejected) > 100:
            console.print(f"  ... and {len(rejected) - 100:,} more (see --report)")
    for warning in report.warnings[:50]:
        console.print(f"warning: {warning}")
    years = sorted({f.financial_year for f in report.figures})
    for year in years:
        table = Table(title=f"{year}: received, before and after", title_justify="left")
        for name in ("service", "section", "team", "before", "after"):
            table.add_column(name, justify="right" if name in ("before", "after") else "left")
        totals: dict[tuple[str, str], list[int]] = {}
        for figure in (f for f in report.figures if f.financial_year == year):
            table.add_row(
                figure.service,
                figure.section,
                figure.team_name or figure.team,
                str(figure.before),
                str(figure.after),
            )
            total = totals.setdefault((figure.service, figure.section), [0, 0])
            total[0] += figure.before
            total[1] += figure.after
        for (service, section), (before, after) in totals.items():
            table.add_row(service, section, "total", str(before), str(after), style="bold")
        console.print(table)
    if report.record is not None:
        console.print(
            f"import {report.record.id}: undo it with `feedback import-undo {report.record.id}`"
        )


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from services.api.domain.calendar import CalendarCache
    from services.api.domain.imports.mappings import mapping_for_import
    from services.api.domain.imports.reading import ReadLimits
    from services.api.domain.imports.running import ImportRun, run_import
    from services.api.errors import ProblemError
    from services.api.settings import get_targets

    path = Path(args.file)
    if not path.is_file():
        print(f"feedback: no file {path}", file=sys.stderr)
        return 2
    if path.stat().st_size > settings.import_max_bytes:
        print(f"feedback: {path} is over {settings.import_max_bytes:,} bytes", file=sys.stderr)
        return 1
    actor = _cli_actor()
    limits = ReadLimits(max_rows=settings.import_max_rows)
    with path.open("rb") as file, _Bar(not args.no_progress) as bar:

        async def work(session: AsyncSession) -> Any:
            calendar = await CalendarCache().get(await session.connection())
            mapping = await mapping_for_import(session, args.mapping)
            run = ImportRun(file, path.name, mapping, args.dry_run, actor, limits)
            return await run_import(session, run, calendar, get_targets(), bar)

        try:
            report = _in_transaction(_database_url(settings), work)
        except ProblemError as error:
            bar.progress.stop()
            _print_problem(error)
            return 1
    _print_report(report)
    if args.report:
        Path(args.report).write_text(report.model_dump_json(indent=2) + "\n")
    return 1 if report.rejected else 0


def cmd_import_undo(args: argparse.Namespace, settings: Settings) -> int:
    from services.api.domain.imports.records import undo_import
    from services.api.errors import ProblemError

    try:
        done = _in_transaction(
            _database_url(settings), lambda s: undo_import(s, args.import_id, _cli_actor())
        )
    except ProblemError as error:
        _print_problem(error)
        return 1
    print(f"import {done.id} ({done.file_name}) undone: its {done.created:,} items are removed")
    return 0


def cmd_import_mapping(args: argparse.Namespace, settings: Settings) -> int:
    from pydantic import ValidationError

    from services.api.domain.imports import mappings
    from services.api.domain.imports.reading import ReadLimits
    from services.api.domain.imports.suggesting import suggest_mapping
    from services.api.errors import ProblemError
    from services.api.models.imports import ImportMappingCreate, ImportMappingUpdate

    url = _database_url(settings)
    try:
        if args.action == "suggest":
            path = Path(args.file)
            with path.open("rb") as file:
                limits = ReadLimits(max_rows=settings.import_max_rows)
                found = _in_transaction(url, lambda s: suggest_mapping(s, file, path.name, limits))
            draft = found.mapping.model_copy(update={"name": args.name or found.mapping.name})
            text = draft.model_dump_json(indent=2, exclude_none=True) + "\n"
            if args.out:
                Path(args.out).write_text(text)
            else:
                sys.stdout.write(text)
            for sheet in found.sheets:
                for column in sheet.columns:
                    if column.unmatched_values:
                        values = ", ".join(repr(v) for v in column.unmatched_values[:10])
                        print(
                            f"{sheet.sheet}!{column.letter} ({column.column}): no match for "
                            f"{values}; add them to the column's values",
                            file=sys.stderr,
                        )
            for note in found.notes:
                print(note, file=sys.stderr)
            return 0
        if args.action == "save":
            data = ImportMappingCreate.model_validate_json(Path(args.file).read_text())

            async def save(session: AsyncSession) -> Any:
                try:
                    held = await mappings.get_mapping(session, data.name)
                except ProblemError:
                    return await mappings.create_mapping(session, data)
                changes = ImportMappingUpdate.model_validate(
                    data.model_dump(include={"description", "source_system", "sheets"})
                )
                return await mappings.update_mapping(session, data.name, changes, (held.version,))

            saved = _in_transaction(url, save)
            print(f"saved the import mapping {saved.name!r} (version {saved.version})")
            return 0
        shown = _in_transaction(url, lambda s: mappings.get_mapping(s, args.name))
        sys.stdout.write(shown.model_dump_json(indent=2) + "\n")
        return 0
    except ProblemError as error:
        _print_problem(error)
        return 1
    except ValidationError as error:
        print(f"feedback: {args.file} is not a mapping:\n{error}", file=sys.stderr)
        return 1


def cmd_import_template(args: argparse.Namespace, settings: Settings) -> int:
    from services.api.domain.imports.template import build_template

    content = _in_transaction(_database_url(settings), build_template)
    Path(args.out).write_bytes(content)
    print(f"wrote {args.out}: fill it in and import it with --mapping template")
    return 0


def cmd_import_ombudsman(args: argparse.Namespace, settings: Settings) -> int:
    from services.api.domain.audit import COMMAND_LINE, changed_fields, record
    from services.api.domain.calendar import CalendarCache
    from services.api.domain.ombudsman import import_decisions
    from services.api.errors import ProblemError
    from services.api.models.access import Role
    from services.api.models.base import council_today
    from services.api.models.ombudsman import ImportOutcome, OmbudsmanImportResult
    from services.api.settings import get_targets

    try:
        content = Path(args.file).read_bytes()
    except OSError as error:
        print(f"feedback: cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 1
    ombudsman = Ombudsman(args.ombudsman)

    async def work(session: AsyncSession) -> OmbudsmanImportResult:
        calendar = await CalendarCache().get(await session.connection())
        done = await import_decisions(
            session, content, ombudsman, calendar, get_targets(), council_today()
        )
        summary = done.result.model_dump(mode="json", exclude={"rows"})
        entries = [
            (e.action, e.resource_type, str(e.resource_id), e.before, e.after) for e in done.audit
        ]
        entries.append(("ombudsman_import", "decision_list", ombudsman.value, None, summary))
        for action, resource_type, resource_id, before, after in entries:
            await record(
                session,
                key_name=COMMAND_LINE,
                role=Role.admin,
                request_id=None,
                action=action,
                resource_type=resource_type,
                resource_id=resource_id,
                changes=changed_fields(before, after),
            )
        return done.result

    try:
        result = _in_transaction(_database_url(settings), work)
    except ProblemError as error:
        print(f"feedback: {args.file}: {error.detail}", file=sys.stderr)
        for problem in error.errors:
            print(f"  {_cell_name(problem.field)}: {problem.detail}", file=sys.stderr)
        return 1
    print(
        f"{args.file}: {result.received} decisions: {result.created} cases made on the "
        f"council's complaints, {result.created_without_complaint} recorded without one, "
        f"{result.updated} filled in, {result.unchanged} unchanged, "
        f"{result.contradicts} contradicting what is held (not written)"
    )
    for row in result.rows:
        if row.differences:
            said = "; ".join(
                f"{d.column}: held {d.held or 'nothing'}, listed {d.listed}"
                for d in row.differences
            )
            print(f"  row {row.row} ({row.ombudsman_reference}) contradicts: {said}")
        if row.outcome is ImportOutcome.created_without_complaint:
            print(
                f"  row {row.row} ({row.ombudsman_reference}) matches nothing the council "
                "holds: recorded as the Ombudsman's case alone"
            )
        if row.remedy_missing:
            print(
                f"  row {row.row} ({row.ombudsman_reference}): the Ombudsman recommended a "
                "remedy, and none is recorded"
            )
    return 0


def _cell_name(field: str) -> str:
    """`[3].category` as a person reads it: "row 3, category"."""
    row, _, column = field.partition("].")
    return f"row {row.lstrip('[')}, {column}" if column else field


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


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def worker_app() -> FastAPI:
    """The app as a worker process builds it, its settings from the environment."""
    from services.api.http.observability import configure_logging
    from services.api.main import create_app

    # Read afresh: the server process has put the database's address in the environment.
    settings = Settings()
    # A worker started afresh (not forked) has none of the server process's logging set up.
    configure_logging(settings.log_level)
    return create_app(settings)


def _serve(settings: Settings, url: str, workers: int | None) -> int:
    import uvicorn

    from services.api.http.observability import configure_logging, shared_metrics_directory

    count = workers or settings.workers or available_cores()
    # Each worker reads its settings from the environment; the embedded server's address is
    # known only here, so it goes there too.
    os.environ["DATABASE_URL"] = url
    base = f"http://{settings.host}:{settings.port}"
    connections = count * 2 * settings.pool_size
    print(
        f"\nThe feedback API is running at {base} in {count} worker process"
        f"{'es' if count > 1 else ''}, using up to {connections} database connections "
        f"(docs: {base}/docs)\n",
        flush=True,
    )
    configure_logging(settings.log_level)
    shared = shared_metrics_directory() if count > 1 else nullcontext()
    with shared:
        # JSON logs of our own (uvicorn's access line would log raw query strings); requests
        # in flight are drained on shutdown.
        uvicorn.run(
            "services.api.cli:worker_app",
            factory=True,
            workers=count,
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=round(settings.shutdown_grace_seconds),
            timeout_keep_alive=settings.keep_alive_seconds,
        )
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    return _serve(settings, _database_url(settings), args.workers)


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
    otherwise = (
        f" ({loaded.items_held_otherwise} held with other details, left as they are)"
        if loaded.items_held_otherwise
        else ""
    )
    print(
        f"demo council loaded: {loaded.items_created} items created, "
        f"{loaded.items_already_held + loaded.items_held_otherwise} already held{otherwise}, "
        f"{loaded.escalations} escalations, {loaded.remedies} remedies",
        flush=True,
    )
    from services.api.demo.loader import demo_keys

    keys_file = settings.data_dir / "demo-keys.json"

    async def make_keys(session: AsyncSession) -> dict[str, str]:
        keys = await demo_keys(session)
        # Written before the keys are committed: keys that could not be written down are
        # rolled back, not left working with nobody knowing them.
        write_private(keys_file, json.dumps(keys, indent=2) + "\n")
        return keys

    keys = _in_transaction(url, make_keys)
    print(f"\ndemo API keys (one per role; also in {keys_file}), for /docs -> Authorize:")
    for role, key in keys.items():
        print(f"  {role:<9} {key}")
    if args.no_serve:
        return 0
    return _serve(settings, url, args.workers)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `feedback` command."""
    parser = argparse.ArgumentParser(prog="feedback", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API")
    serve.set_defaults(run=cmd_serve)
    demo = commands.add_parser("demo", help="migrate, load the demo council and run the API")
    demo.add_argument("--no-serve", action="store_true", help="load the demo data and stop")
    for serving in (serve, demo):
        serving.add_argument(
            "--workers",
            type=_positive,
            help="worker processes (default: API_WORKERS, else one per core)",
        )
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
    key.add_argument(
        "--source-system", help="what its items are recorded under (default: the key's name)"
    )
    key.add_argument("--expires", help="expiry, RFC 3339 with its offset: 2027-03-31T17:00:00Z")
    key.set_defaults(run=cmd_create_key)
    retention = commands.add_parser(
        "retention", help="pseudonymise people whose every case closed years ago"
    )
    retention.add_argument("--years", type=int, default=6)
    retention.add_argument("--dry-run", action="store_true", help="report, change nothing")
    retention.set_defaults(run=cmd_retention)
    imports = commands.add_parser(
        "import", help="import a spreadsheet (.xlsx or .csv) of cases with a saved mapping"
    )
    imports.add_argument("file")
    imports.add_argument("--mapping", required=True, help="the saved mapping's name")
    imports.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    imports.add_argument("--report", help="also write the whole report as JSON to this file")
    imports.add_argument("--no-progress", action="store_true", help="no progress bar")
    imports.set_defaults(run=cmd_import)
    undo = commands.add_parser("import-undo", help="remove the items an import created")
    undo.add_argument("import_id", type=int)
    undo.set_defaults(run=cmd_import_undo)
    mapping = commands.add_parser("import-mapping", help="suggest, save or show an import mapping")
    mapping_commands = mapping.add_subparsers(dest="action", required=True)
    suggest = mapping_commands.add_parser("suggest", help="a draft mapping for a file, as JSON")
    suggest.add_argument("file")
    suggest.add_argument("--name", help="the draft's name (default: from the file name)")
    suggest.add_argument("--out", help="write the JSON here rather than to standard output")
    save = mapping_commands.add_parser("save", help="save a mapping from a JSON file")
    save.add_argument("file")
    show = mapping_commands.add_parser("show", help="print a saved mapping as JSON")
    show.add_argument("name")
    mapping.set_defaults(run=cmd_import_mapping)
    template = commands.add_parser("import-template", help="write the import template workbook")
    template.add_argument("out")
    template.set_defaults(run=cmd_import_template)

    ombudsman = commands.add_parser(
        "import-ombudsman", help="import an Ombudsman's decision list (CSV)"
    )
    ombudsman.add_argument("file", help="the list: CSV in UTF-8, a header row")
    ombudsman.add_argument(
        "--ombudsman",
        default=Ombudsman.lgsco.value,
        choices=[o.value for o in Ombudsman],
        help="whose list (default: lgsco)",
    )
    ombudsman.set_defaults(run=cmd_import_ombudsman)
    openapi = commands.add_parser("openapi", help="write openapi/openapi.json from the app")
    openapi.add_argument("--check", action="store_true", help="fail if the file differs")
    openapi.set_defaults(run=cmd_openapi)
    args = parser.parse_args(argv)
    code: int = args.run(args, get_settings())
    return code


if __name__ == "__main__":
    sys.exit(main())

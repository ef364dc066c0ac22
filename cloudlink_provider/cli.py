"""The `cloudlink` command: parse, delegate, render. Logic lives in emulator/, fleet/ and demo.

Commands raise one domain error (`FleetError`, or `CommandFailed` here) and never
print it themselves: `main()`, the entry point, runs the Typer program and turns
every such error into one message and an exit code (httpie's main()/program()
split). The consoles are injected (`main(args, console=..., err_console=...)`),
so a test reads exactly what a partner sees.

Exit codes (also in the README): 0 success; 1 a failure; 2 bad usage or input;
`cloudlink fleet`: also 3 drift found, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import contextvars
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional, Sequence

import typer
from rich.console import Console

from .demo import EMULATOR_DB  # one database for `emulator serve` and `make demo`
from .fleet.errors import ExitCode, FleetError

if TYPE_CHECKING:  # the fleet's rooms are imported when a command runs, not whenever the CLI starts
    from datetime import date

    from .fleet.render.view import FleetView
    from .fleet.report import FleetReport
    from .standards import Standards

app = typer.Typer(help="Mitel CloudLink customers as code.", no_args_is_help=True, add_completion=False)


class CommandFailed(FleetError):
    """A command other than the fleet's could not do its job (the demo)."""


@dataclass
class Consoles:
    out: Console
    err: Console


def default_consoles() -> Consoles:
    out, err = Console(), Console(stderr=True)
    if not out.is_terminal:
        out = Console(width=max(out.width, 400))  # CI logs: tables as wide as their content, ids never cut
    return Consoles(out, err)


_cli_args: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("cloudlink_args", default=None)
_consoles: contextvars.ContextVar[Consoles | None] = contextvars.ContextVar("cloudlink_consoles", default=None)


def consoles() -> Consoles:
    """Where commands print: what `main()` was given, else the terminal."""
    current = _consoles.get()
    if current is None:
        current = default_consoles()
        _consoles.set(current)
    return current


def _command_path(args: Sequence[str]) -> str:
    """`cloudlink fleet up` for `["fleet", "up", "--stacks", ...]`: the commands named, options left out."""
    names, group = ["cloudlink"], typer.main.get_command(app)
    for arg in args:
        commands = getattr(group, "commands", None)
        if arg.startswith("-") or not isinstance(commands, dict) or arg not in commands:
            break
        names.append(arg)
        group = commands[arg]
    return " ".join(names)


def _usage_message(e: Exception) -> str:
    message = e.format_message() if hasattr(e, "format_message") else str(e)
    ctx = getattr(e, "ctx", None)
    if ctx is None or not message.strip() or message.startswith("Usage:"):  # no arguments: the help itself
        return message
    return f"{ctx.get_usage()}\nTry '{ctx.command_path} --help' for help.\n\nError: {message}"


def main(args: Sequence[str] | None = None, console: Console | None = None,
         err_console: Console | None = None) -> int:
    """The `cloudlink` entry point: run the program; every domain error becomes a message and an exit code."""
    args = list(sys.argv[1:] if args is None else args)
    defaults = default_consoles() if console is None or err_console is None else None
    token = _consoles.set(Consoles(console or defaults.out, err_console or defaults.err))  # type: ignore[union-attr]
    _cli_args.set(args)  # the command line, for the command that resumes a rollout
    err = consoles().err
    try:
        result = app(args=args, prog_name="cloudlink", standalone_mode=False)
        return int(result or 0)
    except typer.Exit as e:
        return int(e.exit_code)
    except typer.TyperException as e:  # bad usage, in Click's words (unknown option, bad value, no command)
        if (text := _usage_message(e)).strip():  # (no command at all: Typer has printed the help)
            err.print(text, markup=False, highlight=False)
        return int(getattr(e, "exit_code", ExitCode.USAGE))
    except typer.Abort:
        return int(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:  # before any engine started: nothing to cancel
        return int(ExitCode.INTERRUPTED)
    except FleetError as e:
        err.print(f"{_command_path(args)}: {e}", style="red", markup=False, highlight=False)
        return int(e.exit_code)
    finally:
        _consoles.reset(token)


def run() -> None:
    """The console script: `cloudlink ...` exits with what `main()` returns."""
    sys.exit(main())
emulator_app = typer.Typer(help="The local CloudLink emulator.", no_args_is_help=True)
app.add_typer(emulator_app, name="emulator")


@emulator_app.command("serve")
def emulator_serve(port: int = typer.Option(8787, help="TCP port on 127.0.0.1"),
                   db: Path = typer.Option(Path(EMULATOR_DB), help="SQLite file (kept across restarts; `make demo` uses it too)"),
                   host: str = typer.Option("127.0.0.1", help="interface to listen on")) -> None:
    """Run the emulator in the foreground until Ctrl-C."""
    from .emulator.server import serve
    from .emulator.store import DEMO_PARTNER

    db.parent.mkdir(parents=True, exist_ok=True)
    consoles().out.print(f"CloudLink emulator on http://{host}:{port} (database {db})\n"
                         f"  partner credentials: clientId={DEMO_PARTNER['client_id']} "
                         f"clientSecret={DEMO_PARTNER['client_secret']}\n"
                         f"  point a stack at it: pulumi config set cloudlink:endpoint http://{host}:{port}",
                         markup=False, highlight=False)
    serve(str(db), port, host)


@app.command()
def demo(port: int = typer.Option(8787, help="port for the embedded emulator (the sample stacks' endpoint)")) -> None:
    """Deploy every sample customer in stacks/ to the embedded emulator, twice, and summarise."""
    from .demo import DemoError, run_demo

    try:
        run_demo(port, console=consoles().out)
    except DemoError as e:
        raise CommandFailed(f"demo failed: {e}") from None


FLEET_EXIT_CODES = "\n".join([
    "Exit codes:",
    "0 = every customer clean;",
    "1 = a customer failed (one that cannot reach CloudLink fails), the coverage listing failed, a rollout wave "
    "failed its health gate, or the command could not run;",
    "2 = bad usage or input (unknown option, no stack matches, bad --shard or --select, a fleet file, profile or "
    "label that is wrong, a fleet default that breaks customers, a bad rollout plan, no passphrase set);",
    "3 = drift found (drift, or preview --expect-no-changes) and nothing failed;",
    "(drift: findings accepted in stacks/drift-accepted.yaml count for neither 1 nor 3; with --fail-on new only "
    "a new failure, new drift or an acceptance that lapsed does);",
    "4 = drift --fail-on-unmanaged: CloudLink has objects no stack manages (no drift, no failure);",
    "5 = standards: an alert or enforce standard is violated (no customer failed);",
    "130 = interrupted by Ctrl-C, after cancelling cleanly.",
])

fleet_app = typer.Typer(help="Every customer stack at once: one `pulumi` engine per stack, a report for all.\n\n"
                        + FLEET_EXIT_CODES,
                        no_args_is_help=True)
app.add_typer(fleet_app, name="fleet")

StacksOpt = Annotated[Optional[list[str]], typer.Option(
    "--stacks", show_default="*", help="only stacks whose name matches this glob (repeat it for several)")]
SelectOpt = Annotated[Optional[str], typer.Option(
    "--select", metavar="SELECTOR", show_default=False,
    help="only customers whose labels match, e.g. 'tier=gold,region in (eu,uk),!legacy' (=, !=, in, notin, "
         "key, !key; comma = AND); with --stacks and --shard (shards split what is selected)")]
ParallelOpt = Annotated[Optional[int], typer.Option("--parallel", min=1, show_default=False,
                                                    help="stacks at once (default: min(4, 2 x CPUs))")]
ShardOpt = Annotated[Optional[str], typer.Option("--shard", metavar="I/N",
                                                 help="take shard I of N (1-based) of the sorted stacks, for a CI matrix")]
ProjectOpt = Annotated[Path, typer.Option("--project-dir", help="the project (Pulumi.yaml and stacks/)")]
BackendOpt = Annotated[Optional[str], typer.Option("--backend", envvar="PULUMI_BACKEND_URL", show_default=False,
                                                   help="Pulumi DIY backend URL (file://, postgres://, s3://...) "
                                                        "(default: file://<project>/.state)")]
JsonOpt = Annotated[Optional[Path], typer.Option("--json", help="write a machine-readable report here")]
MarkdownOpt = Annotated[Optional[Path], typer.Option("--markdown", help="write a pull-request-comment report here")]
HtmlOpt = Annotated[Optional[Path], typer.Option("--html", help="write the fleet dashboard here: one self-contained "
                                                 "HTML page (sortable, filterable; readable without JavaScript)")]
NotifyOpt = Annotated[bool, typer.Option("--notify/--no-notify", help="post to the fleet file's notification "
                                         "targets (stacks/fleet.yaml `notifications:`) after the run")]


def _project(project_dir: Path, backend: str | None) -> Any:
    """The fleet's project, refused without a passphrase of the partner's own (fleet/passphrase.py)."""
    from .fleet.engine.gateway import Project
    from .fleet.passphrase import require_passphrase

    project = Project(project_dir, backend)
    require_passphrase(project.env)
    return project


DebugOpt = Annotated[bool, typer.Option("--debug", help="keep the engine's whole failure text (terminal and "
                                                       "JSON `errorDetail`); reports otherwise show 1-3 lines")]


def _choose(project: Any, stacks: list[str] | None, shard: str | None, select: str | None, judge_specs: bool = True) -> list[str]:
    """The customers a fleet command works on (--stacks glob, --select labels, then --shard), checked up
    front: bad input (fleet file, profiles, labels, a default that breaks customers) stops here."""
    from .fleet.layering import choose, layering_for
    from .passphrase import Passphrase, passphrase_from

    names = choose(project.stacks_dir, stacks, shard, select)
    phrase = passphrase_from(project.env)
    layering_for(project.stacks_dir).preflight(names, Passphrase(phrase) if phrase is not None else None,
                                               judge_specs)
    return names


def _labelled(report: Any, stacks_dir: Path) -> None:
    from .fleet.layering import layering_for

    layering = layering_for(stacks_dir)
    for outcome in report.stacks:
        outcome.labels = layering.labels(outcome.stack)
        outcome.capacity = layering.capacity(outcome.stack, (outcome.users or {}).get("onboarded"))


def _fleet(operation: str, stacks: list[str] | None, parallel: int | None, shard: str | None, project_dir: Path,
           backend: str | None, json_file: Path | None, markdown_file: Path | None, debug: bool = False,
           changed_since: str | None = None, select: str | None = None, nightly: Any = None,
           html_file: Path | None = None, notify: bool = False, **options: bool) -> None:
    from .fleet.commands.run import Fleet, RunOptions, default_parallel
    from .fleet.render.view import FleetView

    run_options = RunOptions(operation, parallel or default_parallel(), shard=shard, **options)
    project = _project(project_dir, backend)
    if debug:
        project.env["CLOUDLINK_DEBUG"] = "1"  # the providers keep their tracebacks (resources/_base.py)
    names = _choose(project, stacks, shard, select, judge_specs=operation != "destroy")
    prepared = nightly(project) if nightly is not None else None
    targets = _notification_targets(project) if notify else []
    selection = None
    if changed_since is not None:
        from .fleet.commands.changes import select_changed

        selection = select_changed(project.dir, changed_since, names, project.stacks_dir)
        names = selection.names
    view = FleetView(consoles().out, names, operation, run_options.parallel)
    with view:
        report = Fleet(project, view).run(names, run_options)
    report.debug = debug
    _labelled(report, project.stacks_dir)
    if selection is not None:
        report.selected_by, report.spec_changes = selection.rule, selection.spec_changes
        for outcome in report.stacks:
            outcome.picked_by = selection.why.get(outcome.stack)
    _finish(view, report, json_file, markdown_file, project, names, prepared, html_file, targets)


def _notification_targets(project: Any) -> list[Any]:
    """The fleet file's notification targets with their URLs decrypted, judged before the run starts: a
    target without a URL, or one the passphrase cannot open, is bad input (exit 2)."""
    from .fleet.errors import usage
    from .fleetfile import FleetFile, FleetFileError
    from .passphrase import Passphrase, passphrase_from

    phrase = passphrase_from(project.env)
    try:
        return FleetFile(project.stacks_dir).notification_urls(Passphrase(phrase) if phrase is not None else None)
    except FleetFileError as e:
        raise usage(str(e)) from None


def _finish(view: "FleetView", report: "FleetReport", json_file: Path | None, markdown_file: Path | None,
            project: Any, names: list[str], nightly: Any = None, html_file: Path | None = None,
            targets: list[Any] | None = None) -> None:
    """Every fleet report ends the same way: the table, the files asked for, the exit code. A drift run
    first classifies its findings (triage, history: fleet/commands/nightly.py), then tells the fleet file's
    notification targets what is new: a notification that fails is reported (a line, and the JSON's
    `notifications`) and never changes the exit code."""
    from .fleet.passphrase import public_passphrase_warning

    warning = public_passphrase_warning(project.env, project.stacks_dir, names)
    if warning:
        report.warnings.append(warning)
    if nightly is not None:
        from .fleet.commands.nightly import conclude

        conclude(nightly, report)
    sent = []
    if targets and not report.interrupted:  # a run cut short by Ctrl-C is not news: it saw only part of the fleet
        from .fleet.notify.deliver import send

        sent = send(targets, report.to_json())
        report.notifications = [s.to_json() for s in sent]
    view.print_report(report)
    for line in (nightly.messages if nightly is not None else ()):
        consoles().out.print(line, highlight=False, markup=False, soft_wrap=True)
    for result in sent:
        console = consoles().out if result.delivered is not False else consoles().err
        console.print(result.line(), style=None if result.delivered is not False else "yellow", markup=False,
                      highlight=False)
    if json_file:
        report.write_json(json_file)
    if markdown_file:
        report.write_markdown(markdown_file)
    if html_file:
        from .fleet.render.dashboard import write_dashboard

        write_dashboard(report.to_json(), html_file)
    raise typer.Exit(int(report.exit_code))


@fleet_app.command("preview", epilog=FLEET_EXIT_CODES)
def fleet_preview(stacks: StacksOpt = None, parallel: ParallelOpt = None, shard: ShardOpt = None, select: SelectOpt = None,
                  project_dir: ProjectOpt = Path("."), backend: BackendOpt = None, json_file: JsonOpt = None,
                  markdown_file: MarkdownOpt = None, debug: DebugOpt = False, html_file: HtmlOpt = None,
                  engine: Annotated[bool, typer.Option("--engine", help="run `pulumi preview` per stack instead "
                                                       "of the scan")] = False,
                  refresh: Annotated[bool, typer.Option("--refresh", help="refresh the state first")] = False,
                  expect_no_changes: Annotated[bool, typer.Option(
                      "--expect-no-changes", help="any planned change counts as drift (exit 3)")] = False,
                  changed_since: Annotated[Optional[str], typer.Option(
                      "--changed-since", metavar="REF", show_default=False,
                      help="only stacks whose stack file changed since this git ref; every stack when shared "
                           "code changed (program, provider, Pulumi.yaml, pyproject.toml, tools/)")] = None) -> None:
    """Show what `up` would change, per customer.

    By default a scan: one process reads each stack's state and plans it with the providers' own check
    and diff (no engine, no lock); a customer the scan cannot judge (pending operations, an unreadable
    checkpoint, a changed provider configuration) gets the engine's preview, and the report says why.
    --engine runs `pulumi preview` for every stack.
    """
    if engine:
        _fleet("preview", stacks, parallel, shard, project_dir, backend, json_file, markdown_file, debug,
               changed_since=changed_since, select=select, html_file=html_file, refresh=refresh,
               expect_no_changes=expect_no_changes)
        return
    from .fleet.render.progress import ScanView
    from .fleet.commands.run import RunOptions, default_parallel
    from .fleet.scan.loop import DEFAULT_SCAN_PARALLEL
    from .fleet.commands.selective import scan_preview

    project, names, selection = _selected(project_dir, backend, stacks, shard, debug, select, changed_since)
    options = RunOptions("preview", parallel or default_parallel(), shard=shard, refresh=refresh,
                         expect_no_changes=expect_no_changes)
    view = ScanView(consoles().out, names, "preview (scan)", parallel or DEFAULT_SCAN_PARALLEL)
    with view:
        report = scan_preview(project, names, options, view, parallel)
    report.debug = debug
    _annotate(report, project.stacks_dir, selection)
    _finish(view, report, json_file, markdown_file, project, names, html_file=html_file)


def _selected(project_dir: Path, backend: str | None, stacks: list[str] | None, shard: str | None, debug: bool,
              select: str | None = None, changed_since: str | None = None) -> tuple[Any, list[str], Any]:
    """(the project, the selected stacks, the --changed-since `Selection` when it picked them), checked up
    front by `_choose`."""

    project = _project(project_dir, backend)
    if debug:
        project.env["CLOUDLINK_DEBUG"] = "1"  # the providers keep their tracebacks (resources/_base.py)
    names = _choose(project, stacks, shard, select)
    selection = None
    if changed_since is not None:
        from .fleet.commands.changes import select_changed

        selection = select_changed(project.dir, changed_since, names, project.stacks_dir)
        names = selection.names
    return project, names, selection


def _annotate(report: Any, stacks_dir: Path, selection: Any) -> None:
    """Each row's labels, and with --changed-since the rule, why each customer was picked, the spec changes."""
    _labelled(report, stacks_dir)
    if selection is not None:
        report.selected_by, report.spec_changes = selection.rule, selection.spec_changes
        for outcome in report.stacks:
            outcome.picked_by = selection.why.get(outcome.stack)


def _labels(stacks_dir: Path, names: list[str]) -> dict[str, dict[str, str]]:
    """Each customer's effective labels (its profiles' labels, then its own `cloudlink-fleet:labels`)."""
    from .fleet.layering import layering_for

    layering = layering_for(stacks_dir)
    return {name: layering.labels(name) for name in names}


def _command_line(args: list[str]) -> str:
    import shlex

    return "cloudlink " + shlex.join(args)


@fleet_app.command("up", epilog=FLEET_EXIT_CODES)
def fleet_up(stacks: StacksOpt = None, parallel: ParallelOpt = None, shard: ShardOpt = None, select: SelectOpt = None,
             project_dir: ProjectOpt = Path("."), backend: BackendOpt = None, json_file: JsonOpt = None,
             markdown_file: MarkdownOpt = None, debug: DebugOpt = False, html_file: HtmlOpt = None,
             refresh: Annotated[bool, typer.Option("--refresh", help="refresh the state first")] = False,
             all_stacks: Annotated[bool, typer.Option("--all", help="run the engine for every selected customer, "
                                                      "even those whose plan is empty")] = False,
             waves_by: Annotated[Optional[str], typer.Option(
                 "--waves-by", metavar="LABEL", show_default=False,
                 help="roll out in waves, one per value of this label (in value order)")] = None,
             canary: Annotated[Optional[int], typer.Option(
                 "--canary", metavar="N", show_default=False,
                 help="a first wave of N customers (sorted names)")] = None,
             wave: Annotated[Optional[list[str]], typer.Option(
                 "--wave", metavar="SIZE", show_default=False,
                 help="a further wave: N customers, P% of the selection, or `rest` (repeatable, in order; "
                      "customers left over form a last wave)")] = None,
             bake: Annotated[Optional[float], typer.Option(
                 "--bake", metavar="SECONDS", show_default=False,
                 help="wait this long after a wave passes its health gate")] = None) -> None:
    """Deploy the customers whose plan has changes (creating stacks the backend has not seen yet).

    A scan plans every selected customer first; the engine's `up` runs only for those with changes and
    those the scan cannot judge (no state yet, pending operations, an unreadable checkpoint, a changed
    provider configuration). --all runs it everywhere. With a rollout plan (--waves-by, or --canary/--wave)
    it goes wave by wave: after each, a health gate scans the wave (applied, no drift, PBX link connected,
    no failure); the first wave that fails it stops the rollout (exit 1) with the command that resumes.
    """
    from .fleet.render.progress import ScanView
    from .fleet.commands.rollout import has_rollout, rollout_plan
    from .fleet.commands.run import RunOptions, default_parallel
    from .fleet.scan.loop import DEFAULT_SCAN_PARALLEL
    from .fleet.commands.selective import selective_up
    from .fleet.commands.waves import run_rollout

    project, names, _ = _selected(project_dir, backend, stacks, shard, debug, select)
    waves = list(wave or [])
    plan = rollout_plan(names, _labels(project.stacks_dir, names) if waves_by else {}, waves_by, canary, waves, bake)
    options = RunOptions("up", parallel or default_parallel(), shard=shard, refresh=refresh)
    view = ScanView(consoles().out, names, "up", parallel or DEFAULT_SCAN_PARALLEL)
    with view:
        if has_rollout(waves_by, canary, waves):
            resume = _command_line(_cli_args.get() or sys.argv[1:])
            report = run_rollout(project, plan, options, resume, view, all_stacks, parallel)
        else:
            report = selective_up(project, names, options, view, all_stacks, parallel)
    report.debug = debug
    _labelled(report, project.stacks_dir)
    _finish(view, report, json_file, markdown_file, project, names, html_file=html_file)


ACCEPT_DAYS = 90  # --accept without --expires: a quarter, so every acceptance is looked at again


@fleet_app.command("drift", epilog=FLEET_EXIT_CODES)
def fleet_drift(stacks: StacksOpt = None, parallel: ParallelOpt = None, shard: ShardOpt = None, select: SelectOpt = None,
                project_dir: ProjectOpt = Path("."), backend: BackendOpt = None, json_file: JsonOpt = None,
                markdown_file: MarkdownOpt = None, debug: DebugOpt = False, html_file: HtmlOpt = None,
                notify: NotifyOpt = True,
                engine: Annotated[bool, typer.Option("--engine", help="run `pulumi preview --refresh "
                                                     "--expect-no-changes` per stack instead of the scan")] = False,
                fail_on_unmanaged: Annotated[bool, typer.Option(
                    "--fail-on-unmanaged", help="exit 4 when CloudLink has objects no stack manages "
                                                "(and nothing drifted or failed)")] = False,
                history: Annotated[Optional[str], typer.Option(
                    "--history", metavar="DIR|backend", show_default=False,
                    help="compare with the previous run kept here, and keep this one: a folder (latest.json, "
                         "drift-<time>.json), or `backend`: .cloudlink/drift-history/ in the fleet's state "
                         "backend")] = None,
                fail_on: Annotated[str, typer.Option(
                    "--fail-on", metavar="new|any",
                    help="what fails the run: `any` drift or failure not accepted in stacks/drift-accepted.yaml, "
                         "or only what is `new` since the previous run (with --history)")] = "any",
                accept: Annotated[bool, typer.Option(
                    "--accept", help="write today's findings (not accepted yet) into stacks/drift-accepted.yaml "
                                     "with --reason, --by and --expires; review and commit the file")] = False,
                reason: Annotated[Optional[str], typer.Option("--reason", help="--accept: why this drift is "
                                                              "accepted", show_default=False)] = None,
                by: Annotated[Optional[str], typer.Option("--by", help="--accept: who accepts it",
                                                          show_default=False)] = None,
                expires: Annotated[Optional[str], typer.Option(
                    "--expires", metavar="YYYY-MM-DD", show_default=False,
                    help=f"--accept: when the acceptance ends (default: in {ACCEPT_DAYS} days)")] = None) -> None:
    """Find changes made behind Pulumi's back; exit 3 on drift.

    By default a scan: one process reads each stack's checkpoint and asks CloudLink (GETs only), with the
    providers' own read/diff code, and lists what no stack manages. --engine runs the engine per stack.
    Every finding is new or still there since the previous run (--history), or accepted in the reviewed
    stacks/drift-accepted.yaml; accepted drift does not fail the run until its value changes or it expires.
    Then the fleet file's notification targets get what is new (a failed delivery is reported, and
    changes no exit code); --html writes the dashboard.
    """
    nightly = _nightly_options(history, fail_on, accept, reason, by, expires, shard)
    if engine:
        _fleet("drift", stacks, parallel, shard, project_dir, backend, json_file, markdown_file, debug, select=select,
               nightly=nightly, html_file=html_file, notify=notify)
        return
    from .fleet.render.progress import ScanView
    from .fleet.commands.selective import drift
    from .fleet.scan.loop import DEFAULT_SCAN_PARALLEL

    project = _project(project_dir, backend)
    names = _choose(project, stacks, shard, select)
    standards = _standards(project.stacks_dir)
    prepared = nightly(project)
    targets = _notification_targets(project) if notify else []
    view = ScanView(consoles().out, names, "drift (scan)", parallel or DEFAULT_SCAN_PARALLEL)
    with view:
        report = drift(project, names, parallel, shard, view, fail_on_unmanaged,
                       standards if standards.standards else None)
    report.debug = debug
    _labelled(report, project.stacks_dir)
    _finish(view, report, json_file, markdown_file, project, names, prepared, html_file, targets)


def _nightly_options(history: str | None, fail_on: str, accept: bool, reason: str | None, by: str | None,
                     expires: str | None, shard: str | None) -> Any:
    """drift's triage/history options, checked now; returns what prepares them for a project (before the run)."""
    from datetime import date, datetime, timedelta, timezone

    from .fleet.commands.nightly import Accept, prepare
    from .fleet.errors import usage

    today = datetime.now(timezone.utc).date()
    chosen = None
    if accept:
        try:
            until = date.fromisoformat(expires) if expires else today + timedelta(days=ACCEPT_DAYS)
        except ValueError:
            raise usage(f"--expires {expires!r} is not a date like 2027-01-31") from None
        chosen = Accept(reason or "", by or "", until)
    elif reason or by or expires:
        raise usage("--reason, --by and --expires go with --accept")
    return lambda project: prepare(project, today, fail_on, history, shard, chosen)


def _standards(stacks_dir: Path, refuse_expired_on: "date | None" = None) -> "Standards":
    """The standards file, checked (exceptions against the stacks that exist); a bad one is exit 2."""
    from .fleet.errors import usage
    from .fleet.standards import fleet_standards
    from .standards import StandardsError

    try:
        return fleet_standards(stacks_dir, refuse_expired_on)
    except StandardsError as e:
        raise usage(str(e)) from None


STANDARDS_EXIT_CODES = "\n".join([
    "Exit codes:",
    "0 = no alert or enforce standard is violated (report-mode violations are listed only);",
    "1 = a customer could not be checked (its spec or state could not be read), or the command could not run;",
    "2 = bad usage, or a standards file that does not load (the one-line error names the file and the rule);",
    "5 = an alert or enforce standard is violated, or an exception for one has expired;",
    "130 = interrupted by Ctrl-C.",
])


@fleet_app.command("standards", epilog=STANDARDS_EXIT_CODES)
def fleet_standards_command(
        stacks: StacksOpt = None, parallel: ParallelOpt = None, shard: ShardOpt = None, select: SelectOpt = None,
        project_dir: ProjectOpt = Path("."), backend: BackendOpt = None, json_file: JsonOpt = None,
        markdown_file: MarkdownOpt = None,
        lint: Annotated[bool, typer.Option("--lint", help="only check stacks/standards.yaml (every rule parses, "
                                           "every exception has a reason and a future expiry, names a standard "
                                           "and a customer that exist); reads no state, asks CloudLink nothing")] = False,
        on: Annotated[Optional[str], typer.Option("--on", metavar="YYYY-MM-DD", show_default=False,
                                                  help="judge as of this day (default: today, UTC)")] = None) -> None:
    """Check every customer against the standards in stacks/standards.yaml; exit 5 when an alert or enforce
    standard is violated.

    One process: the drift scan's reading of each stack's state and of CloudLink (GETs only), then the
    evaluation: per customer its violations and alignment score, per standard how many customers follow it.
    Built-in standards (Mitel's recommendations and the watches with dates) and the partner's own rules,
    with exceptions that expire. `pulumi preview|up` evaluate the same standards through the policy pack
    in policy/ (enforce = mandatory: `up` writes nothing for a customer that violates one).
    """
    from datetime import date, datetime, timezone

    from .fleet.engine.gateway import Project
    from .fleet.errors import usage
    from .fleet.passphrase import public_passphrase_warning, require_passphrase
    from .fleet.render.progress import ScanView
    from .fleet.render.view import print_standards
    from .fleet.scan.loop import DEFAULT_SCAN_PARALLEL, scan_drift

    try:
        today = date.fromisoformat(on) if on else datetime.now(timezone.utc).date()
    except ValueError:
        raise usage(f"--on {on!r} is not a date like 2027-01-31") from None
    project = Project(project_dir, backend)
    standards = _standards(project.stacks_dir, today if lint else None)
    out = consoles().out
    if lint:
        out.print(f"{standards.file}: {len(standards.standards)} standard(s), {len(standards.exceptions)} "
                  "exception(s): ok", markup=False, highlight=False)
        raise typer.Exit(0)
    names = _choose(project, stacks, shard, select)
    require_passphrase(project.env)  # the scan decrypts the stacks' secrets: never with a default passphrase
    view = ScanView(out, names, "standards (scan)", parallel or DEFAULT_SCAN_PARALLEL)
    with view:
        drift = scan_drift(project, names, parallel, shard, view, standards=standards, today=today,
                           coverage_too=False)  # what no stack manages is drift's question, not a standard
    report = drift.standards
    print_standards(out, report)
    exposed = public_passphrase_warning(project.env, project.stacks_dir, names)
    if exposed:
        consoles().err.print(exposed, style="bold yellow", markup=False, highlight=False)
    if json_file:
        report.write_json(json_file)
    if markdown_file:
        report.write_markdown(markdown_file)
    code = int(ExitCode.INTERRUPTED) if drift.interrupted else report.exit_code
    out.print(f"{len(report.customers)} customer(s), {sum(1 for c in report.customers if c.violations)} with "
              f"violations; exit code {code}", markup=False, highlight=False)
    raise typer.Exit(code)


@fleet_app.command("refresh", epilog=FLEET_EXIT_CODES)
def fleet_refresh(stacks: StacksOpt = None, parallel: ParallelOpt = None, shard: ShardOpt = None, select: SelectOpt = None,
                  project_dir: ProjectOpt = Path("."), backend: BackendOpt = None, json_file: JsonOpt = None,
                  markdown_file: MarkdownOpt = None, debug: DebugOpt = False) -> None:
    """Make each stack's state match what CloudLink really has (changes nothing in CloudLink)."""
    _fleet("refresh", stacks, parallel, shard, project_dir, backend, json_file, markdown_file, debug, select=select)


@fleet_app.command("destroy", epilog=FLEET_EXIT_CODES)
def fleet_destroy(stacks: StacksOpt = None, parallel: ParallelOpt = None, shard: ShardOpt = None, select: SelectOpt = None,
                  project_dir: ProjectOpt = Path("."), backend: BackendOpt = None, json_file: JsonOpt = None,
                  markdown_file: MarkdownOpt = None, debug: DebugOpt = False,
                  yes: Annotated[bool, typer.Option("--yes", help="required: really delete every selected "
                                                                 "customer's resources")] = False) -> None:
    """Delete the selected customers' resources from CloudLink (the stacks and their files stay)."""
    from .fleet.errors import usage

    if not yes:
        raise usage("deletes customers from CloudLink: add --yes (and narrow it with --stacks)")
    _fleet("destroy", stacks, parallel, shard, project_dir, backend, json_file, markdown_file, debug, select=select)


@fleet_app.command("import")
def fleet_import(
    account_id: Annotated[Optional[str], typer.Option("--account-id", help="the customer account to import")] = None,
    all_accounts: Annotated[bool, typer.Option("--all", help="every customer account the credentials can see "
                                                             "that no stack file manages yet")] = False,
    name: Annotated[Optional[str], typer.Option("--name", help="stack name (default: from the account name)")] = None,
    pbx_password_env: Annotated[Optional[str], typer.Option(
        "--pbx-password-env", metavar="VAR", show_default=False,
        help="read the PBX password from this environment variable and store it as the stack's "
             "pbxPassword secret (for customers with a PBX link); with {stack} in the name, each customer's "
             "own: PBX_PASSWORD_{stack} reads PBX_PASSWORD_ACME_IBERIA for stack acme-iberia")] = None,
    teams_secret_env: Annotated[Optional[str], typer.Option(
        "--teams-secret-env", metavar="VAR", show_default=False,
        help="read the Teams client secret from this environment variable and store it as the stack's "
             "teamsClientSecret secret (for customers with a Teams integration); {stack} as for "
             "--pbx-password-env")] = None,
    endpoint: Annotated[Optional[str], typer.Option("--endpoint", envvar="CLOUDLINK_ENDPOINT",
                                                    help="CloudLink endpoint")] = None,
    client_id: Annotated[Optional[str], typer.Option("--client-id", envvar="CLOUDLINK_CLIENT_ID",
                                                     help="partner API client id")] = None,
    client_secret: Annotated[Optional[str], typer.Option("--client-secret", envvar="CLOUDLINK_CLIENT_SECRET",
                                                         help="partner API client secret (stored as a "
                                                              "Pulumi secret)", show_default=False)] = None,
    project_dir: ProjectOpt = Path("."), backend: BackendOpt = None) -> None:
    """Write stacks/Pulumi.<name>.yaml for existing customers; the next `up` adopts them.

    Imports the whole customer: account, gateway, PBX link, roles, Teams and SSO (with Azure AD Sync).
    CloudLink never returns the PBX password or the Teams client secret: pass them with
    --pbx-password-env/--teams-secret-env, or set them afterwards with the commands printed.

    Exit codes: 0 imported (or nothing left to import); 1 a customer could not be imported;
    2 bad usage (missing credentials or secret variables, both or neither of --account-id/--all,
    the stack file exists).
    """
    from .fleet.commands.importer import FAILED, PBX_PASSWORD, TEAMS_SECRET, Importer, credentials_from_options
    from .fleet.errors import usage
    from .fleet.import_secrets import secret_sources
    from .fleet.passphrase import public_passphrase_warning
    from .fleet.render.imports import print_imports

    if bool(account_id) == all_accounts or (name and all_accounts):
        raise usage("give either --account-id ID [--name NAME] or --all")
    sources = secret_sources({PBX_PASSWORD: ("--pbx-password-env", pbx_password_env),
                              TEAMS_SECRET: ("--teams-secret-env", teams_secret_env)})
    project = _project(project_dir, backend)
    if not (endpoint and client_id and client_secret):  # what is not given comes from the fleet file, if any
        from .fleet.layering import layering_for
        from .passphrase import Passphrase, passphrase_from

        phrase = passphrase_from(project.env)
        fleet = layering_for(project.stacks_dir).provider_settings(Passphrase(phrase) if phrase is not None else None)
        endpoint = endpoint or fleet.get("cloudlink:endpoint")
        client_id = client_id or fleet.get("cloudlink:clientId")
        client_secret = client_secret or fleet.get("cloudlink:clientSecret")
    importer = Importer(project, credentials_from_options(endpoint, client_id, client_secret), sources=sources)
    results = importer.import_all() if all_accounts else [importer.import_one(account_id or "", name)]
    exposed = public_passphrase_warning(project.env, project.stacks_dir,
                                        [r.stack for r in results if r.stack and r.status != FAILED])
    print_imports(consoles().out, consoles().err, results, exposed)
    raise typer.Exit(1 if any(r.status == FAILED for r in results) else 0)


@fleet_app.command("show")
def fleet_show(customer: Annotated[str, typer.Argument(help="the stack name (stacks/Pulumi.<name>.yaml)")],
               as_json: Annotated[bool, typer.Option("--json", help="print JSON for tools instead of tables")] = False,
               project_dir: ProjectOpt = Path(".")) -> None:
    """Print a customer's effective spec: every value with where it came from (fleet default, which
    profile, the customer's own file), its labels and provider settings; secrets as [secret].

    Exit codes: 0 the effective spec is valid; 2 it is not (the problems name field and file), or no
    such customer, or its layers do not merge.
    """
    from .fleet.layering import describe
    from .fleet.render.show import print_show
    from .fleetfile import stacks_dir_of

    shown = describe(stacks_dir_of(project_dir), customer)
    print_show(consoles().out, consoles().err, customer, shown, as_json)
    raise typer.Exit(0 if shown["valid"] else int(ExitCode.USAGE))


@fleet_app.command("set-client-secret")
def fleet_set_client_secret(
        endpoint: Annotated[Optional[str], typer.Option("--endpoint", help="also set the fleet's endpoint")] = None,
        client_id: Annotated[Optional[str], typer.Option("--client-id", help="also set the fleet's client id")] = None,
        project_dir: ProjectOpt = Path(".")) -> None:
    """Write the partner API client secret into the fleet file (stacks/fleet.yaml), encrypted with the
    passphrase (PULUMI_CONFIG_PASSPHRASE). The secret is read from stdin (a prompt on a terminal), never
    from the command line. Creates the fleet file when there is none.

    Exit codes: 0 written; 2 bad usage (no passphrase, an empty secret, a broken fleet file).
    """
    from .fleet.engine.env import fleet_env
    from .fleet.errors import usage
    from .fleet.state.secrets import Passphrase, fleet_salt
    from .fleetfile import FleetFile, FleetFileError, stacks_dir_of
    from .passphrase import passphrase_from

    phrase = passphrase_from(fleet_env(project_dir, None))
    if phrase is None:
        raise usage("set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): the secret is encrypted with it")
    secret = (typer.prompt("client secret", hide_input=True) if sys.stdin.isatty()
              else sys.stdin.read().removesuffix("\n"))
    if not secret:
        raise usage("the client secret is empty")
    file = FleetFile(stacks_dir_of(project_dir))
    try:
        data = file.load()
        file.read()  # judge its shape before writing
    except FleetFileError as e:
        raise usage(str(e)) from None
    crypt = Passphrase(phrase)
    salt = data.get("encryptionsalt") or fleet_salt(file.stacks_dir, crypt)
    try:
        sealed = crypt.encrypt(salt, secret)
    except Exception as e:  # noqa: BLE001 - a salt this passphrase does not open
        raise usage(f"{file.label}: cannot encrypt with this passphrase: {e}") from None
    provider = dict(data.get("provider") or {})
    provider.update({k: v for k, v in (("endpoint", endpoint), ("clientId", client_id)) if v})
    provider["clientSecret"] = {"secure": sealed}
    file.save({**data, "encryptionsalt": salt, "provider": provider}, _leading_comments(file))
    consoles().out.print(f"{file.label}: provider.clientSecret written (encrypted)", markup=False, highlight=False)


@fleet_app.command("set-notification-url")
def fleet_set_notification_url(
        name: Annotated[str, typer.Argument(help="the target's name in the fleet file's `notifications:`")],
        kind: Annotated[Optional[str], typer.Option(
            "--type", help="teams, slack or webhook: required when the target is new")] = None,
        project_dir: ProjectOpt = Path(".")) -> None:
    """Write a notification target's webhook URL into the fleet file (stacks/fleet.yaml), encrypted with the
    passphrase (PULUMI_CONFIG_PASSPHRASE). The URL is read from stdin (a prompt on a terminal), never from
    the command line, and never printed. A new target is added with --type (and the default events:
    new drift, new failures, resolutions); edit `on:` and `select:` in the file.

    Exit codes: 0 written; 2 bad usage (no passphrase, an empty or non-http(s) URL, a new target without
    --type, a broken fleet file).
    """
    from .fleet.engine.env import fleet_env
    from .fleet.errors import usage
    from .fleet.state.secrets import Passphrase, fleet_salt
    from .fleetfile import NOTIFICATION_TYPES, FleetFile, FleetFileError, stacks_dir_of
    from .passphrase import passphrase_from

    phrase = passphrase_from(fleet_env(project_dir, None))
    if phrase is None:
        raise usage("set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): the URL is encrypted with it")
    if kind is not None and kind not in NOTIFICATION_TYPES:
        raise usage(f"--type {kind!r} is not one of {', '.join(NOTIFICATION_TYPES)}")
    file = FleetFile(stacks_dir_of(project_dir))
    try:
        data = file.load()
        file.read()  # judge its shape before writing
    except FleetFileError as e:
        raise usage(str(e)) from None
    targets = [dict(t) for t in data.get("notifications") or []]
    entry = next((t for t in targets if t.get("name") == name), None)
    if entry is None:
        if kind is None:
            raise usage(f"{file.label}: no notification target named {name!r}; add it with --type "
                        f"({', '.join(NOTIFICATION_TYPES)})")
        entry = {"name": name, "type": kind}
        targets.append(entry)
    elif kind is not None:
        entry["type"] = kind
    url = (typer.prompt("webhook URL", hide_input=True) if sys.stdin.isatty()
           else sys.stdin.read().strip())
    if not url:
        raise usage("the URL is empty")
    if not url.startswith(("https://", "http://")):
        raise usage("the URL must start with https:// (or http://)")
    crypt = Passphrase(phrase)
    salt = data.get("encryptionsalt") or fleet_salt(file.stacks_dir, crypt)
    try:
        sealed = crypt.encrypt(salt, url)
    except Exception as e:  # noqa: BLE001 - a salt this passphrase does not open
        raise usage(f"{file.label}: cannot encrypt with this passphrase: {e}") from None
    entry["url"] = {"secure": sealed}
    file.save({**data, "encryptionsalt": salt, "notifications": targets}, _leading_comments(file))
    consoles().out.print(f"{file.label}: notifications {name} ({entry['type']}): url written (encrypted)",
                         markup=False, highlight=False)


def _leading_comments(file: Any) -> str:
    """The comment lines a file opens with (kept when the file is rewritten)."""
    if not file.exists():
        return ""
    lines = []
    for line in file.path.read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line + "\n")
    return "".join(lines)


@fleet_app.command("recover")
def fleet_recover(stacks: StacksOpt = None, select: SelectOpt = None, project_dir: ProjectOpt = Path("."),
                  backend: BackendOpt = None,
                  force: Annotated[bool, typer.Option(
                      "--force", help="also release locks this host cannot check (another machine's, or "
                                      "unreadable): only when you know that run is dead")] = False) -> None:
    """Clean up after a killed run: dead engines' locks, half-written file:// state, pending creates.

    Locks whose engine died on this host are released (by pid); others only with --force. Then
    run `cloudlink fleet up` for the stacks it names.

    Exit codes: 0 every selected stack is ready for `up`; 1 a stack still needs a hand (it says
    what); 2 bad usage.
    """
    from .fleet.commands.recover import recover
    from .fleet.layering import choose
    from .fleet.render.recovery import print_recoveries

    project = _project(project_dir, backend)
    names = choose(project.stacks_dir, stacks, None, select)
    results = recover(project, names, force=force)
    print_recoveries(consoles().out, results, stacks or ["*"])
    raise typer.Exit(0 if all(r.ok for r in results) else 1)


# --- user onboarding: re-send the welcome email (issue 11; fleet/commands/welcome.py) ---------------------
@fleet_app.command("welcome-email")
def fleet_welcome_email(
        stacks: Annotated[Optional[list[str]], typer.Option(
            "--stacks", help="required (but with --dry-run): the customers whose pending users get it (a glob of "
                             "stack names; repeat it for several)")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="only list who would get it")] = False,
        select: SelectOpt = None, project_dir: ProjectOpt = Path("."), backend: BackendOpt = None) -> None:
    """Re-send the welcome email to the users of chosen customers who have not activated yet.

    Deliberate: `up` never re-sends it. Takes the pending users the last `up` recorded (the `users`
    stack output), skips those who activated since, and sends each of the others one email.

    Exit codes: 0 done; 1 a customer failed (the others still ran); 2 bad usage (no --stacks without
    --dry-run, no match).
    """
    from .fleet.commands.welcome import resend_welcome
    from .fleet.errors import usage
    from .fleet.layering import choose
    from .fleet.render.welcome import print_welcome

    if not stacks and not dry_run:
        raise usage("name the customers with --stacks GLOB (or list who would get it with --dry-run)")
    stacks = stacks or ["*"]  # a dry run sends nothing: every customer by default
    names = choose(project_dir / "stacks", stacks, None, select)
    project = _project(project_dir, backend)
    results = resend_welcome(project, names, dry_run)
    print_welcome(consoles().out, results, dry_run)
    raise typer.Exit(1 if any(r.error for r in results) else 0)


if __name__ == "__main__":
    sys.exit(main())

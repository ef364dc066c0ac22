"""The `cloudlink` command: parse, delegate, render. Logic lives in emulator/, fleet/ and demo.

Exit codes (also in the README): 0 success; 1 a failure; 2 bad usage or input.
"""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Mitel CloudLink customers as code.", no_args_is_help=True, add_completion=False)
emulator_app = typer.Typer(help="The local CloudLink emulator.", no_args_is_help=True)
app.add_typer(emulator_app, name="emulator")


@emulator_app.command("serve")
def emulator_serve(port: int = typer.Option(8787, help="TCP port on 127.0.0.1"),
                   db: Path = typer.Option(Path(".emulator/cloudlink.db"), help="SQLite file (kept across restarts)"),
                   host: str = typer.Option("127.0.0.1", help="interface to listen on")) -> None:
    """Run the emulator in the foreground until Ctrl-C."""
    from .emulator.server import serve
    from .emulator.store import DEMO_PARTNER

    db.parent.mkdir(parents=True, exist_ok=True)
    typer.echo(f"CloudLink emulator on http://{host}:{port} (database {db})\n"
               f"  partner credentials: clientId={DEMO_PARTNER['client_id']} "
               f"clientSecret={DEMO_PARTNER['client_secret']}\n"
               f"  point a stack at it: pulumi config set cloudlink:endpoint http://{host}:{port}")
    serve(str(db), port, host)


@app.command()
def demo(port: int = typer.Option(8787, help="port for the embedded emulator (the sample stacks' endpoint)")) -> None:
    """Deploy every sample customer in stacks/ to the embedded emulator, twice, and summarise."""
    from .demo import DemoError, run_demo

    try:
        run_demo(port)
    except DemoError as e:
        typer.secho(f"demo failed: {e}", fg="red", err=True)
        raise typer.Exit(1) from None


if __name__ == "__main__":
    app()

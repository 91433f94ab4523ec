"""Console output shared by the commands: progress display and user-facing errors."""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from features.errors import CibleError

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


class UserError(CibleError):
    """A mistake the user can fix (bad argument, bad data): shown in one line, no traceback."""


@contextmanager
def steps(title: str, total: int | None = None) -> Iterator[Callable[[str], None]]:
    """A progress bar advanced by calling the yielded function with the name of each step as it starts."""
    columns = [SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=err_console, transient=False) as progress:
        task = progress.add_task(title, total=total)
        started = False

        def advance(name: str) -> None:
            nonlocal started
            if started:
                progress.advance(task)
            started = True
            progress.update(task, description=f"{title}: {name}")

        yield advance
        progress.update(task, description=f"{title}: done", completed=total or 1, total=total or 1)


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def capture() -> io.StringIO:
    """Send this process's console output to a buffer (plain text, no live progress bars): a worker of
    ``cible train all`` hands what it printed to the command, which prints it as one block."""
    buffer = io.StringIO()
    console.file = buffer
    err_console.file = buffer
    return buffer


DEBUG_ENV = "CIBLE_DEBUG"


def configure_logging(debug: bool | None = None) -> None:
    """Debug logs with ``--debug``, else warnings only. Set by the command, and in the processes it
    spawns (``train all``'s planner and workers) from the environment they inherit (``None``)."""
    if debug is None:
        debug = os.environ.get(DEBUG_ENV) == "1"
    elif debug:
        os.environ[DEBUG_ENV] = "1"
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if not debug:
        # MLflow logs its database migrations at INFO and warns that cloudpickle runs code on load:
        # Cible loads only its own registered models, so those lines are noise for users.
        logging.getLogger("mlflow").setLevel(logging.ERROR)

"""``cible``: one command line for every stage. Each command parses, calls a package function, reports.

The commands' modules are imported only when their command runs: together they import MLflow,
scikit-learn, Matplotlib, SciPy and BentoML (about 4 CPU seconds), which `cible data synth` or
`cible keys create` never use, and `make run` starts a `cible` process for every step.
"""

from __future__ import annotations

import importlib
import sys

import click
import typer
from typer.core import TyperGroup

from cible.console import configure_logging, err_console
from features.errors import CibleError

# name -> (module, attribute): a Typer app (a group of commands) or a command function, in the order
# `cible --help` lists them
COMMANDS: dict[str, tuple[str, str]] = {
    "data": ("cible.data_commands", "app"),
    "features": ("cible.features_commands", "app"),
    "train": ("cible.train_commands", "app"),
    "segments": ("cible.segments_commands", "app"),
    "audiences": ("cible.segments_commands", "audiences_app"),
    "privacy": ("cible.privacy_commands", "app"),
    "retarget": ("cible.retarget_commands", "app"),
    "keys": ("cible.serve_commands", "keys_app"),
    "models": ("cible.models_commands", "app"),
    "campaigns": ("cible.campaigns_commands", "app"),
    "materialize": ("cible.store_commands", "materialize_command"),
    "serve": ("cible.serve_commands", "serve"),
    "kpis": ("cible.kpis_commands", "kpis_command"),
    "score": ("cible.predict_commands", "score"),
    "recommend": ("cible.recommend_commands", "recommend"),
}


def load_command(name: str, commands: dict[str, tuple[str, str]] = COMMANDS) -> click.Command:
    module, attribute = commands[name]
    target = getattr(importlib.import_module(module), attribute)
    if isinstance(target, typer.Typer):
        group = typer.main.get_group(target)
        group.name = name
        return group
    single = typer.Typer()
    single.command(name)(target)
    return typer.main.get_command(single)


class LazyGroup(TyperGroup):
    """A group whose commands are built from its :attr:`lazy` mapping (name -> module, attribute) when
    asked for: the root's are :data:`COMMANDS`."""

    lazy: dict[str, tuple[str, str]] = COMMANDS

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *self.lazy]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            return load_command(cmd_name, self.lazy)
        return super().get_command(ctx, cmd_name)


def lazy_group(commands: dict[str, tuple[str, str]]) -> type[LazyGroup]:
    """A :class:`LazyGroup` of ``commands`` (a command group's ``cls``)."""
    return type("LazyCommands", (LazyGroup,), {"lazy": commands})


app = typer.Typer(
    name="cible",
    cls=LazyGroup,
    help="Cible: customer segments, predictions, next-best-offer and retargeting for omnichannel retail.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

# Every error a user can fix is a CibleError; the system's own "no such file" (a --config path that does
# not exist) is one too.
USER_ERRORS = (CibleError, FileNotFoundError)


@app.callback()
def root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks and debug logs."),
) -> None:
    """Cible command line. Run `cible COMMAND --help` for the options of each command."""
    configure_logging(debug)


def main() -> None:
    debug = "--debug" in sys.argv
    try:
        app()
    except USER_ERRORS as exc:
        if debug:
            raise
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(1)

"""``cible``: one command line for every stage. Each command parses, calls a package function, reports."""

from __future__ import annotations

import logging
import sys

import typer

from cible import (
    data_commands,
    features_commands,
    models_commands,
    predict_commands,
    privacy_commands,
    recommend_commands,
    retarget_commands,
    segments_commands,
    serve_commands,
    store_commands,
    train_commands,
)
from cible.console import UserError, err_console
from features.errors import CibleError
from features.importers.errors import ImportFormatError
from features.io import DataFileError
from features.segments.audiences import AudienceRuleError
from features.segments.memberships import UnknownSegmentError
from features.validate import DataValidationError
from training.predictive.config import PredictiveConfigError
from training.predictive.cutoffs import NotEnoughHistoryError
from training.predictive.score import NoPredictiveChampionError
from training.recommend.errors import NoRecommenderError, RecommenderDataError
from training.registry import RegistryError
from training.segments.export import ExportRefused
from training.segments.score import NoChampionError

app = typer.Typer(
    name="cible",
    help="Cible: customer segments, predictions, next-best-offer and retargeting for omnichannel retail.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(data_commands.app, name="data")
app.add_typer(features_commands.app, name="features")
app.add_typer(train_commands.app, name="train")
app.add_typer(segments_commands.app, name="segments")
app.add_typer(segments_commands.audiences_app, name="audiences")
app.add_typer(privacy_commands.app, name="privacy")
app.add_typer(retarget_commands.app, name="retarget")
app.add_typer(serve_commands.keys_app, name="keys")
app.add_typer(models_commands.app, name="models")
app.command("materialize")(store_commands.materialize_command)
app.command("serve")(serve_commands.serve)
app.command("score")(predict_commands.score)
app.command("recommend")(recommend_commands.recommend)

USER_ERRORS = (
    UserError,
    CibleError,
    DataValidationError,
    DataFileError,
    ImportFormatError,
    FileNotFoundError,
    AudienceRuleError,
    ExportRefused,
    NoChampionError,
    UnknownSegmentError,
    NotEnoughHistoryError,
    NoPredictiveChampionError,
    PredictiveConfigError,
    NoRecommenderError,
    RecommenderDataError,
    RegistryError,
)


@app.callback()
def root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks and debug logs."),
) -> None:
    """Cible command line. Run `cible COMMAND --help` for the options of each command."""
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if not debug:
        # MLflow logs its database migrations at INFO and warns that cloudpickle runs code on load:
        # Cible loads only its own registered models, so those lines are noise for users.
        logging.getLogger("mlflow").setLevel(logging.ERROR)


def main() -> None:
    debug = "--debug" in sys.argv
    try:
        app()
    except USER_ERRORS as exc:
        if debug:
            raise
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(1)

"""``cible serve`` and ``cible keys``: start the BentoML service, manage the API keys it accepts."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import typer
import yaml

from cible.console import UserError, console
from features.settings import Settings
from serving.auth import SCOPES, create_key, keys_path

keys_app = typer.Typer(
    help="API keys of the service: scopes site, crm, admin; stored hashed.", no_args_is_help=True
)


def serve(
    port: int = typer.Option(3000, "--port", min=1, max=65535, help="HTTP port."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (0.0.0.0 for all)."),
    data: Path = typer.Option(None, "--data", help="Raw data folder, for the admin access export."),
    workers: int = typer.Option(
        1, "--workers", min=1, help="Worker processes (Redis store for several hosts)."
    ),
    reload_seconds: float = typer.Option(30.0, "--reload-seconds", min=0, help="Champion polling period."),
) -> None:
    """Start the service: champions from MLflow, the online store, the site, CRM and admin endpoints."""
    # here, not at the top: the runtime imports the whole service, which `cible keys` does not need
    from serving.runtime import DATA_ENV, RELOAD_ENV

    settings = Settings.from_env()
    keys = keys_path(settings.home)
    if not keys.exists():
        console.print(
            f"[yellow]no API keys in {keys}:[/yellow] every call but health checks gets 401; "
            "create one with `cible keys create ID --scopes site,crm`"
        )
    env = dict(os.environ, CIBLE_HOME=str(settings.home), **{RELOAD_ENV: str(reload_seconds)})
    if data is not None:
        env[DATA_ENV] = str(data.resolve())
    bentoml = shutil.which("bentoml", path=str(Path(sys.executable).parent)) or "bentoml"
    args = [bentoml, "serve", "serving.service:Cible", "--port", str(port), "--host", host]
    args += ["--api-workers", str(workers)] if workers > 1 else []
    console.print(f"serving on http://{host}:{port} (OpenAPI at /docs.json; Ctrl-C stops)")
    os.execve(bentoml, args, env)  # the service replaces this process: signals reach it directly


@keys_app.command("create")
def create(
    key_id: str = typer.Argument(..., help="A name for the caller, e.g. web-shop or crm."),
    scopes: str = typer.Option(..., "--scopes", help=f"Comma-separated among {', '.join(SCOPES)}."),
    if_missing: bool = typer.Option(False, "--if-missing", help="Do nothing if the key file has this id."),
) -> None:
    """Create a key (or replace the one of that id) and print it once: only its hash is kept."""
    path = keys_path(Settings.from_env().home)
    if if_missing and key_id in _ids(path):
        console.print(f"key {key_id!r} already exists in {path}")
        return
    try:
        key = create_key(path, key_id, [s.strip() for s in scopes.split(",") if s.strip()])
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    console.print(f"API key {key_id!r} ({scopes}); shown once, store it now:\n{key}", soft_wrap=True)


@keys_app.command("list")
def list_keys() -> None:
    """Key ids and scopes (never the keys)."""
    path = keys_path(Settings.from_env().home)
    for entry in _entries(path):
        console.print(f"{entry['id']}: {', '.join(entry['scopes'])}")


@keys_app.command("revoke")
def revoke(key_id: str = typer.Argument(..., help="The key id to remove.")) -> None:
    """Remove a key; running services stop accepting it at their next request."""
    path = keys_path(Settings.from_env().home)
    entries = _entries(path)
    if key_id not in {e["id"] for e in entries}:
        raise UserError(f"no key {key_id!r} in {path}")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump({"keys": [e for e in entries if e["id"] != key_id]}, sort_keys=False))
    tmp.chmod(0o600)
    tmp.replace(path)
    console.print(f"revoked {key_id!r}")


def _entries(path: Path) -> list[dict]:
    return (yaml.safe_load(path.read_text()) or {}).get("keys") or [] if path.exists() else []


def _ids(path: Path) -> set[str]:
    return {str(e["id"]) for e in _entries(path)}

"""``ivr menus test``: run supervisors' expected call paths against a menu."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ivr.app import close_app
from ivr.settings import Settings
from ivr.storage.menu_versions import live_or_file

if TYPE_CHECKING:
    from flask import Flask


@click.command("test")
@click.argument("scenarios_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--menu",
    "menu_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Menu a testar (padrão: a versão no ar; senão, IVR_MENUS).",
)
@click.option("-v", "--verbose", is_flag=True, help="Mostra o que cada ligação ouviu.")
def test_menus(scenarios_file: Path, menu_file: Path | None, verbose: bool) -> None:
    """Faz as ligações de SCENARIOS_FILE e diz quais passaram e, nas que falharam, o quê."""
    from hours.clock import SettableClock
    from ivr.menus.loader import MenuInvalid, read_menu_file
    from ivr.simulator import InProcess
    from ivr.simulator.sandbox import sandbox_app
    from ivr.simulator.scenarios import ScenarioFileInvalid, load_scenarios, run_scenarios

    settings = Settings.from_env()
    settings = settings if settings.twilio_auth_token else _with_token(settings)
    try:
        scenarios = load_scenarios(scenarios_file.read_text(encoding="utf-8"), str(scenarios_file))
    except ScenarioFileInvalid as invalid:
        raise click.ClickException(str(invalid)) from None
    clock = SettableClock()
    with tempfile.TemporaryDirectory() as workdir:
        try:
            text, name = (
                (read_menu_file(menu_file), str(menu_file))
                if menu_file
                else live_or_file(settings.database_url, settings.menus_path)
            )
            app = sandbox_app(settings, text, Path(workdir), clock, name)
        except MenuInvalid as invalid:
            for problem in invalid.problems:
                click.echo(str(problem), err=True)
            sys.exit(1)
        try:
            results = run_scenarios(
                scenarios,
                InProcess(app),
                clock,
                settings.twilio_auth_token,
                ratings_of=_stored_ratings(app),
            )
        finally:
            close_app(app)
    for result in results:
        mark = "ok    " if result.passed else "FALHOU"
        click.echo(f"{mark} {result.scenario.name}")
        for difference in result.differences:
            click.echo(f"       - {difference}")
        if verbose or not result.passed:
            for line in result.transcript.heard:
                click.echo(f"         🔊 {line}")
    failed = sum(not r.passed for r in results)
    passed = len(results) - failed
    click.echo(
        f"{passed} {'passou' if passed == 1 else 'passaram'}, "
        f"{failed} {'falhou' if failed == 1 else 'falharam'}"
    )
    if failed:
        sys.exit(1)


def _with_token(settings: Settings) -> Settings:
    """Scenarios run in-process: any token works, as long as both sides share it."""

    return settings.model_copy(update={"twilio_auth_token": "scenario-token"})


def _stored_ratings(app: Flask) -> Callable[[str], list[int]]:
    """What the scratch database keeps of a call's survey, once the call log has written it."""
    from sqlalchemy.orm import Session

    from ivr.storage.survey import call_ratings

    services = app.extensions["ivr"]

    def ratings_of(call_sid: str) -> list[int]:
        services.call_log.flush()
        with Session(services.engine) as session:
            return call_ratings(session, call_sid)

    return ratings_of

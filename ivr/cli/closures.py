"""``ivr hours close|reopen|closures``: the supervisor's "fechar agora" from the shell.

Every closure has a number; times are shown in São Paulo time, the line's.
"""

from __future__ import annotations

import getpass
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import click
from babel.dates import format_date

from hours.clock import utc_now
from hours.phrases import spoken_time
from hours.schedule import DEFAULT_TIMEZONE
from ivr.cli.db import configured_session
from ivr.cli.live import heard_hours, heard_menu
from ivr.cli.params import Instant
from ivr.settings import Settings
from ivr.storage.models import EmergencyClosureRecord

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?:in)?)?$")
_LINE_ZONE = ZoneInfo(DEFAULT_TIMEZONE)


def _known_schedules(settings: Settings) -> frozenset[str] | None:
    """The schedules calls are answered by; None when that cannot be told.

    (No database, no readable menu: then any name is accepted, as before.)
    """
    try:
        menu, _source = heard_menu(settings)
    except Exception:  # no readable menu: any name is accepted
        return None
    return frozenset(menu.hours().calendars)


def _local(instant: datetime) -> str:
    """``terça-feira, 01/12/2026, às 14h``: in São Paulo time, as a supervisor reads it."""
    local = instant.astimezone(_LINE_ZONE)
    weekday = format_date(local.date(), "EEEE", locale="pt_BR")
    return f"{weekday}, {local:%d/%m/%Y}, às {spoken_time(local)}"


def _short(instant: datetime) -> str:
    return f"{instant.astimezone(_LINE_ZONE):%d/%m/%Y %H:%M}"


def _scope(record: EmergencyClosureRecord) -> str:
    return ", ".join(record.schedules) if record.schedules else "todas"


def _until(until: datetime | None, duration: str | None, now: datetime) -> datetime | None:
    if until and duration:
        raise click.UsageError("use --until ou --for, não os dois")
    if until:
        return until
    if duration:
        match = _DURATION.match(duration.strip())
        if not match or not any(match.groups()):
            raise click.BadParameter("use, por exemplo, 2h, 45m ou 1h30m", param_hint="--for")
        hours, minutes = (int(g or 0) for g in match.groups())
        try:
            end = now + timedelta(hours=hours, minutes=minutes)
            # up to the next whole minute: the time shown is the time stored
            past = timedelta(seconds=end.second, microseconds=end.microsecond)
            return end + (timedelta(minutes=1) - past if past else timedelta(0))
        except OverflowError:
            raise click.BadParameter(
                f"{duration!r} é longo demais: para um fechamento sem fim, use --until-reopened",
                param_hint="--for",
            ) from None
    return None


def _callers_hear(settings: Settings, schedules: tuple[str, ...], now: datetime) -> str | None:
    """What a caller hears now, with the closures just stored; None if it cannot be told."""
    try:
        menu, _source = heard_menu(settings)
        phrase = heard_hours(settings, menu).closed_phrase(schedules[0] if schedules else None, now)
    except Exception:  # no readable menu: nothing to show
        return None
    return phrase or None


@click.command()
@click.option(
    "--message", required=True, help="O que quem liga ouve, ex.: 'Estamos em manutenção.'"
)
@click.option(
    "--until",
    type=Instant(),
    default=None,
    help="Quando o atendimento reabre; sem fuso, horário de São Paulo.",
)
@click.option(
    "--for", "duration", default=None, metavar="2h|45m", help="Por quanto tempo fica fechado."
)
@click.option(
    "--until-reopened",
    is_flag=True,
    help="Sem fim: fechado até `ivr hours reopen` (sem esta opção, pede confirmação).",
)
@click.option("--schedule", "schedules", multiple=True, help="Fecha só esta agenda (repetível).")
def close(
    message: str,
    until: datetime | None,
    duration: str | None,
    until_reopened: bool,
    schedules: tuple[str, ...],
) -> None:
    """Fecha o atendimento agora (todos os processos web sabem em segundos)."""
    from ivr.storage import closures

    now = utc_now()
    end = _until(until, duration, now)
    if end is not None and until_reopened:
        raise click.UsageError("--until-reopened não combina com --until ou --for")
    settings = Settings.from_env()
    known = _known_schedules(settings)
    unknown = [name for name in schedules if known is not None and name not in known]
    if unknown:
        raise click.BadParameter(
            f"agenda desconhecida {unknown[0]!r} (existentes: {', '.join(sorted(known or ()))})",
            param_hint="--schedule",
        )
    if end is None and not until_reopened:
        try:
            answer = click.prompt(
                "Fechar o atendimento sem hora para reabrir? Ele só volta com "
                "`ivr hours reopen` [s/N]",
                default="n",
                show_default=False,
            )
        except click.Abort:  # no terminal to ask on
            answer = "n"
        if answer.strip().lower() not in ("s", "sim", "y", "yes"):
            raise click.ClickException("nada foi fechado (para não perguntar: --until-reopened)")
    with configured_session(write=True) as session:
        try:
            record = closures.close(
                session, message, now, end, getpass.getuser(), list(schedules) or None, now=now
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
        number, scope = record.id, _scope(record)
        ends = (
            f"até {_local(record.end)} (horário de São Paulo)"
            if record.end
            else f"até ser reaberto (`ivr hours reopen {number}`)"
        )
    click.echo(f"Fechamento nº {number} (agendas: {scope}): atendimento fechado {ends}.")
    from ivr.cli.callbacks import move_covered_callbacks, moved_sentence

    moved = move_covered_callbacks(settings, now)
    if moved is not None:
        click.echo(moved_sentence(moved))
    heard = _callers_hear(settings, schedules, now)
    if heard:
        click.echo(f"Quem ligar agora ouve: «{heard}»")


@click.command()
@click.argument("number", type=int, required=False)
def reopen(number: int | None) -> None:
    """Encerra o fechamento de emergência NUMBER (veja `ivr hours closures`), ou todos."""
    from ivr.storage import closures

    with configured_session(write=True) as session:
        count = closures.reopen(session, utc_now(), number)
        session.commit()
    if number is not None:
        if not count:
            raise click.ClickException(
                f"não há fechamento nº {number} em vigor ou programado (veja `ivr hours closures`)"
            )
        click.echo(f"Fechamento nº {number} encerrado.")
    elif count:
        click.echo("1 fechamento encerrado." if count == 1 else f"{count} fechamentos encerrados.")
    else:
        click.echo("Nenhum fechamento estava em vigor.")


@click.command("closures")
def list_closures() -> None:
    """Fechamentos de emergência em vigor ou agendados, com seus números (horário de SP)."""
    from ivr.storage import closures

    with configured_session(write=True) as session:
        found = closures.current(session, utc_now())
        if not found:
            click.echo("Nenhum fechamento de emergência.")
            return
        click.echo(f"{'nº':>4}  {'início':<16}  {'fim':<16}  {'agendas':<10}  mensagem")
        for record in found:
            end = _short(record.end) if record.end else "até reabrir"
            click.echo(
                f"{record.id:>4}  {_short(record.start):<16}  {end:<16}  "
                f"{_scope(record):<10}  {record.message}"
            )

"""``ivr hours …``: is the line open at an instant, and the year's calendar.

Reads the ``lines:`` and ``schedules:`` of the menu that calls hear (the
live published version, else ``$IVR_MENUS``, ``menus.yaml``), or of the file
given with ``--menus``, loaded and checked as a publish would. Emergency
closures come from the database. Without a ``schedules:`` section the
shipped schedules are used (``padrao``: 9h–11h45
and 13h30–17h30, Monday to Friday, BR + SP holidays; ``corrido``: 9h–17h30).
This is the outermost shell: it may read the clock (``--at`` defaults to now)
and it gives a naive ``--at`` the schedule's time zone.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import click

from hours.calendar import Calendar, Reason, Status
from hours.clock import utc_now
from hours.ics import to_ics
from hours.oracle import Hours, UnknownSchedule
from hours.phrases import closed_phrase, spoken_time
from ivr.cli.live import heard_hours, heard_menu
from ivr.cli.params import Instant
from ivr.menus.document import ProductLine
from ivr.menus.loader import MenuInvalid
from ivr.settings import Settings

_REASONS_PT = {
    Reason.OPEN: "aberto",
    Reason.BEFORE_HOURS: "antes do horário",
    Reason.LUNCH: "intervalo de almoço",
    Reason.AFTER_HOURS: "depois do horário",
    Reason.WEEKEND: "fim de semana",
    Reason.DAY_OFF: "dia sem atendimento",
    Reason.HOLIDAY: "feriado",
    Reason.CLOSURE: "fechamento",
    Reason.EMERGENCY: "fechamento de emergência",
}


@dataclass(frozen=True)
class _Config:
    hours: Hours
    lines: Mapping[str, ProductLine]
    source: str


def _load(menus_file: str | None) -> _Config:
    """The hours calls get: --menus FILE, else the live version, else the menu file."""
    settings = Settings.from_env()
    try:
        menu, source = heard_menu(settings, menus_file)
    except OSError as exc:
        path = menus_file or settings.menus_path
        raise click.FileError(str(path), hint=exc.strerror or str(exc)) from None
    except MenuInvalid as invalid:
        for problem in invalid.problems:
            click.echo(str(problem), err=True)
        sys.exit(1)
    return _Config(heard_hours(settings, menu), menu.lines, source)


def _schedule_name(cfg: _Config, line: str | None, schedule: str | None) -> str:
    if line is not None and schedule is not None:
        raise click.UsageError("use --line ou --schedule, não os dois")
    if schedule is not None:
        if schedule not in cfg.hours.calendars:
            known = ", ".join(sorted(cfg.hours.calendars))
            raise click.BadParameter(
                f"agenda desconhecida {schedule!r} (conhecidas: {known})", param_hint="--schedule"
            )
        return schedule
    if line is not None:
        if line not in cfg.lines:
            known = ", ".join(sorted(cfg.lines)) or "nenhuma"
            raise click.BadParameter(
                f"linha desconhecida {line!r} (conhecidas: {known})", param_hint="--line"
            )
        name = cfg.lines[line].schedule or cfg.hours.default
        if name not in cfg.hours.calendars:
            raise click.ClickException(f"a linha {line!r} usa uma agenda desconhecida: {name!r}")
        return name
    return cfg.hours.default


def _parse_at(at: datetime | None, hours: Hours, schedule: str) -> datetime:
    if at is None:
        return utc_now()
    if at.tzinfo is None:
        at = at.replace(tzinfo=hours.calendar(schedule).tz)
    return at


def _when(value: datetime | None) -> str:
    if value is None:
        return "sem previsão"
    return f"{value:%d/%m/%Y} {spoken_time(value)} ({value.isoformat()})"


def _text(status: Status) -> str:
    head = "ABERTO" if status.open else "FECHADO"
    why = _REASONS_PT[status.reason]
    if status.detail:
        why += f": {status.detail}"
    out = [f"{status.at.isoformat()} [{status.schedule}] {head} ({why})"]
    if status.open:
        out.append(f"fecha: {_when(status.closes_at)}")
        out.append(f"reabre: {_when(status.next_open)}")
    else:
        out.append(f"abre: {_when(status.next_open)}")
        out.append(f"aviso: {closed_phrase(status)}")
    if status.holiday and status.reason is not Reason.HOLIDAY:
        out.append(f"feriado: {status.holiday}")
    return "\n".join(out)


def _day_state(cal: Calendar, day: date) -> str:
    """ "aberto", "fechado (feriado)", "aberto só das 9h às 11h45" … for one date."""
    periods = cal.hours_on(day)
    usual = cal.schedule.week[day.weekday()]
    if not periods:
        if not usual:
            return "fechado (fim de semana)" if day.weekday() >= 5 else "fechado (sem expediente)"
        if cal.schedule.holidays is not None and cal.schedule.holidays.name_on(day):
            return "fechado (feriado)"
        return "fechado"
    spans = [(spoken_time(p.start), spoken_time(p.end)) for p in periods]
    if spans == [(spoken_time(s.start), spoken_time(s.end)) for s in usual]:
        return "aberto"
    hours_text = " e ".join(f"das {a} às {b}" for a, b in spans)
    return f"aberto só {hours_text}"


@click.group()
def hours() -> None:
    """Horário de atendimento: aberto ou fechado, por quê, o calendário do ano e os fechamentos."""


_menus_option = click.option(
    "--menus",
    "menus_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Arquivo de menu (padrão: a versão no ar; senão, $IVR_MENUS ou menus.yaml).",
)


@hours.command()
@click.option(
    "--at",
    "at",
    type=Instant(zone=None),
    default=None,
    help="Instante a consultar (padrão: agora); sem fuso, o fuso da agenda.",
)
@click.option("--line", default=None, help="Linha de produto (ex.: erp): usa a agenda dela.")
@click.option("--schedule", default=None, help="Nome da agenda (padrão: a agenda padrão).")
@click.option("--json", "as_json", is_flag=True, help="Mostra um objeto JSON.")
@_menus_option
def check(
    at: datetime | None,
    line: str | None,
    schedule: str | None,
    as_json: bool,
    menus_file: str | None,
) -> None:
    """O atendimento está aberto em --at? Se não, por quê; e quando abre ou fecha."""
    cfg = _load(menus_file)
    name = _schedule_name(cfg, line, schedule)
    at = _parse_at(at, cfg.hours, name)
    try:
        status = cfg.hours.status(name, at)
    except UnknownSchedule as exc:  # pragma: no cover - checked above
        raise click.ClickException(f"agenda desconhecida {exc}") from None
    if as_json:
        data = status.to_json()
        data["line"] = line
        data["phrase"] = closed_phrase(status)
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        click.echo(_text(status))


@hours.command()
@click.option("--year", type=click.IntRange(1970, 2200), required=True)
@click.option("--line", default=None, help="Linha de produto (ex.: erp): usa a agenda dela.")
@click.option("--schedule", default=None, help="Nome da agenda (padrão: a agenda padrão).")
@click.option(
    "--ics",
    "ics_file",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Grava também o calendário como arquivo iCalendar.",
)
@_menus_option
def calendar(
    year: int,
    line: str | None,
    schedule: str | None,
    ics_file: str | None,
    menus_file: str | None,
) -> None:
    """Lista feriados, fechamentos e aberturas especiais do ano e, depois, os pontos
    facultativos (Carnaval, 24 e 31 de dezembro…), cada um marcado aberto ou fechado."""
    cfg = _load(menus_file)
    name = _schedule_name(cfg, line, schedule)
    cal = cfg.hours.calendar(name)
    entries = cal.entries(year)
    labels = {"holiday": "feriado", "closure": "fechado", "opening": "especial"}
    for e in entries:
        if e.all_day:
            last = e.end.date().toordinal() - 1
            span = f"{e.start:%d/%m/%Y}"
            if last != e.start.date().toordinal():
                span += f" a {datetime.fromordinal(last):%d/%m/%Y}"
        else:
            span = f"{e.start:%d/%m/%Y %H:%M} a {e.end:%d/%m/%Y %H:%M}"
        click.echo(f"{span}  {labels.get(e.kind, e.kind)}  {e.name}")
    if not entries:
        click.echo(f"nenhum feriado ou fechamento em {year}")
    optional = cal.optional_days(year)
    if optional:
        click.echo("\nPontos facultativos (decida em cada um se o atendimento abre ou fecha):")
        width = max(len(day_name) for _day, day_name in optional)
        for day, day_name in optional:
            click.echo(f"{day:%d/%m/%Y}  {day_name:<{width}}  {_day_state(cal, day)}")
    if ics_file is not None:
        text = to_ics(entries, utc_now(), f"Atendimento {name} {year}")
        with open(ics_file, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        click.echo(f"{ics_file}: {len(entries)} eventos", err=True)

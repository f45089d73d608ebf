"""``ivr hours close|reopen|closures``: the supervisor's "fechar agora" from the shell."""

from __future__ import annotations

import getpass
import re
from datetime import UTC, datetime, timedelta

import click

from ivr.cli.db import configured_session
from ivr.cli.live import heard_menu
from ivr.cli.params import Instant
from ivr.settings import Settings

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?:in)?)?$")


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
    """An instant as the supervisor reads it: in the line's time zone."""
    from zoneinfo import ZoneInfo

    from hours.schedule import DEFAULT_TIMEZONE

    return instant.astimezone(ZoneInfo(DEFAULT_TIMEZONE)).isoformat(timespec="minutes")


def _until(until: datetime | None, duration: str | None, now: datetime) -> datetime | None:
    if until and duration:
        raise click.UsageError("give --until or --for, not both")
    if until:
        return until
    if duration:
        match = _DURATION.match(duration.strip())
        if not match or not any(match.groups()):
            raise click.BadParameter("like 2h, 45m or 1h30m", param_hint="--for")
        hours, minutes = (int(g or 0) for g in match.groups())
        try:
            return now + timedelta(hours=hours, minutes=minutes)
        except OverflowError:
            raise click.BadParameter(
                f"{duration!r} is too long: use `ivr hours reopen` to end a closure",
                param_hint="--for",
            ) from None
    return None


@click.command()
@click.option("--message", required=True, help="What callers hear, e.g. 'Estamos em manutenção.'")
@click.option(
    "--until",
    type=Instant(),
    default=None,
    help="When the line reopens; without an offset, São Paulo time.",
)
@click.option("--for", "duration", default=None, metavar="2h|45m", help="How long it stays closed.")
@click.option(
    "--schedule", "schedules", multiple=True, help="Close only this schedule (repeatable)."
)
def close(
    message: str, until: datetime | None, duration: str | None, schedules: tuple[str, ...]
) -> None:
    """Close the line now (every web process hears of it within seconds)."""
    from ivr.storage import closures

    now = datetime.now(UTC)
    end = _until(until, duration, now)
    known = _known_schedules(Settings.from_env())
    unknown = [name for name in schedules if known is not None and name not in known]
    if unknown:
        raise click.BadParameter(
            f"unknown schedule {unknown[0]!r} (known: {', '.join(sorted(known or ()))})",
            param_hint="--schedule",
        )
    with configured_session(write=True) as session:
        try:
            record = closures.close(
                session, message, now, end, getpass.getuser(), list(schedules) or None, now=now
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
        when = _local(record.end) if record.end else "until `ivr hours reopen`"
        click.echo(f"line closed ({when}): {record.message}")


@click.command()
def reopen() -> None:
    """End every emergency closure in force (or planned)."""
    from ivr.storage import closures

    with configured_session(write=True) as session:
        count = closures.reopen(session, datetime.now(UTC))
        session.commit()
    click.echo(f"{count} closure(s) ended" if count else "no closure was in force")


@click.command("closures")
def list_closures() -> None:
    """Emergency closures in force or planned."""
    from ivr.storage import closures

    with configured_session(write=True) as session:
        found = closures.current(session, datetime.now(UTC))
        for record in found:
            end = _local(record.end) if record.end else "—"
            scope = ",".join(record.schedules) if record.schedules else "all"
            click.echo(f"{_local(record.start)}  {end}  [{scope}]  {record.message}")
        if not found:
            click.echo("no emergency closure")

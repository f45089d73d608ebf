"""``ivr callbacks …``: book, list, show, cancel and move callbacks (supervisors, pt-BR).

Numbers print masked in the text listings (LGPD); ``--json`` gives them in
E.164 and every instant as ISO-8601 with the São Paulo offset, for tools.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from callbacks.booking import (
    ACTIVE,
    AlreadyBooked,
    NoSlot,
    NotActive,
    When,
    book,
    cancel,
    reschedule,
)
from callbacks.dispatcher import LineSetup
from callbacks.numbers import NumberRefused, callback_number
from callbacks.phrases import spoken_slot
from callbacks.supervision import STATUS_WORDS, WHEN_CHOICES, find_callback
from hours.clock import utc_now
from ivr.callback_setup import line_setup
from ivr.cli.call_log import SAO_PAULO, local_time
from ivr.cli.db import configured_session
from ivr.cli.live import heard_hours, heard_menu
from ivr.cli.params import Instant
from ivr.numbers import masked
from ivr.settings import Settings
from ivr.storage.models import Callback
from tickets_bridge.protocol import next_protocol


def _iso(instant: datetime | None) -> str | None:
    return instant.astimezone(SAO_PAULO).isoformat() if instant is not None else None


def callback_data(callback: Callback) -> dict[str, Any]:
    return {
        "protocol": callback.protocol,
        "number": callback.number,
        "line": callback.line,
        "reason": callback.reason,
        "status": callback.status,
        "scheduled_for": _iso(callback.scheduled_for),
        "slot_start": _iso(callback.slot_start),
        "slot_end": _iso(callback.slot_end),
        "attempts": callback.attempts,
        "ticket": callback.ticket_protocol,
        "created_at": _iso(callback.created_at),
    }


def _line(settings: Settings, line: str) -> tuple[LineSetup, str]:
    """The line's setup and spoken name from the live menu; an unknown line is refused."""
    try:
        menu, _source = heard_menu(settings)
    except Exception as exc:
        raise click.ClickException(f"não consegui ler o menu: {exc}") from None
    product = menu.lines.get(line)
    if product is None:
        known = ", ".join(sorted(menu.lines)) or "nenhuma"
        raise click.BadParameter(
            f"linha desconhecida: {line!r} (linhas: {known})", param_hint="--line"
        )
    return line_setup(menu, heard_hours(settings, menu), line), product.name


def _find(session: Session, protocol: str) -> Callback:
    callback = find_callback(session, protocol)
    if callback is None:
        raise click.ClickException(f"retorno {protocol} não encontrado")
    return callback


def _when(at: datetime | None, when: str | None) -> tuple[When, datetime | None]:
    if at is not None and when is not None:
        raise click.UsageError("use --at ou --quando, não os dois")
    return WHEN_CHOICES[when or "primeiro"], at


def _slot_text(callback: Callback, now: datetime) -> str:
    start = callback.slot_start.astimezone(SAO_PAULO)
    return spoken_slot(start, callback.slot_end, now)


now_option = click.option(
    "--now",
    "now",
    type=Instant(),
    default=None,
    hidden=True,
    help="Run as if it were this instant.",
)
when_options = [
    click.option(
        "--at",
        "at",
        type=Instant(),
        default=None,
        help="No horário que contém esse instante, ou no seguinte livre.",
    ),
    click.option(
        "--quando",
        "when",
        type=click.Choice(sorted(WHEN_CHOICES)),
        default=None,
        help="primeiro horário livre, manhã ou tarde do próximo dia útil.",
    ),
]


def _with_when(command: Any) -> Any:
    for option in reversed(when_options):
        command = option(command)
    return command


@click.group("callbacks")
def callbacks_group() -> None:
    """Retornos agendados: pedir, listar, ver, cancelar, remarcar."""


@callbacks_group.command("request")
@click.option("--number", "number", required=True, help="Telefone com DDD, fixo ou celular.")
@click.option("--line", "line", required=True, help="A linha de produto (ex.: erp).")
@click.option("--reason", default=None, help="O assunto, dito ao cliente no retorno.")
@_with_when
@now_option
def request_callback(
    number: str,
    line: str,
    reason: str | None,
    at: datetime | None,
    when: str | None,
    now: datetime | None,
) -> None:
    """Agenda um retorno para NUMBER na linha LINE."""
    settings = Settings.from_env()
    now = now or utc_now()
    try:
        dialable = callback_number(number)
    except NumberRefused as refused:
        raise click.BadParameter(refused.message, param_hint="--number") from None
    setup, name = _line(settings, line)
    wanted, at = _when(at, when)
    with configured_session(write=True) as session:
        try:
            callback = book(
                session,
                setup.calendar,
                setup.policy,
                line=line,
                number=dialable.e164,
                protocol=next_protocol(session, now),
                now=now,
                when=wanted,
                at=at,
                reason=reason or name,
                author="supervisor",
            )
        except AlreadyBooked as already:
            existing = already.callback
            raise click.ClickException(
                f"esse número já tem o retorno {existing.protocol} na linha {line}, "
                f"{_slot_text(existing, now)}"
            ) from None
        except NoSlot:
            raise click.ClickException(
                f"não há horário livre para retorno na linha {line}"
            ) from None
        session.commit()
        click.echo(
            f"Retorno agendado: protocolo {callback.protocol}, {masked(callback.number)}, "
            f"{name}, {_slot_text(callback, now)}."
        )


@callbacks_group.command("list")
@click.option(
    "--all", "show_all", is_flag=True, help="Inclui concluídos, não atendidos e cancelados."
)
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True, help="JSON: números em E.164, horários ISO-8601.")
def list_callbacks(show_all: bool, limit: int, as_json: bool) -> None:
    """Os retornos a fazer, do mais próximo ao mais distante."""
    with configured_session() as session:
        query = select(Callback).order_by(Callback.scheduled_for, Callback.id).limit(limit)
        if not show_all:
            query = query.where(Callback.status.in_(ACTIVE))
        rows = session.scalars(query).all()
        if as_json:
            click.echo(json.dumps([callback_data(c) for c in rows], ensure_ascii=False, indent=2))
            return
        if not rows:
            click.echo("Nenhum retorno agendado.")
            return
        for c in rows:
            click.echo(
                f"{c.protocol}  {local_time(c.scheduled_for)}  {c.line:<10} "
                f"{masked(c.number)}  {STATUS_WORDS.get(c.status, c.status)}  "
                f"tentativas: {c.attempts}"
            )


@callbacks_group.command("show")
@click.argument("protocol")
@click.option("--json", "as_json", is_flag=True)
@click.option("--show-number", is_flag=True, help="Mostra o número inteiro.")
def show_callback(protocol: str, as_json: bool, show_number: bool) -> None:
    """Um retorno: horário, situação, tentativas e histórico."""
    with configured_session() as session:
        c = _find(session, protocol)
        attempts = [
            {
                "attempt": a.attempt,
                "call_sid": a.call_sid,
                "dialed_at": _iso(a.dialed_at),
                "status": a.status,
                "answered_by": a.answered_by,
                "outcome": a.outcome,
            }
            for a in c.attempt_rows
        ]
        events = [{"at": _iso(e.at), "kind": e.kind, "detail": e.detail} for e in c.events]
        if as_json:
            data = callback_data(c) | {"attempts_detail": attempts, "history": events}
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        number = c.number if show_number else masked(c.number)
        click.echo(f"Protocolo:   {c.protocol}")
        click.echo(f"Número:      {number}")
        click.echo(f"Linha:       {c.line}")
        click.echo(f"Situação:    {STATUS_WORDS.get(c.status, c.status)}")
        click.echo(
            f"Horário:     {local_time(c.slot_start)} a {local_time(c.slot_end)[-5:]}"
            f" (próxima tentativa: {local_time(c.scheduled_for)})"
        )
        click.echo(f"Tentativas:  {c.attempts}")
        if c.ticket_protocol:
            click.echo(f"Chamado:     {c.ticket_protocol}")
        for a in attempts:
            click.echo(
                f"  tentativa {a['attempt']}: {a['dialed_at']} {a['outcome'] or a['status'] or '—'}"
            )
        for e in events:
            click.echo(f"  {e['at']} {e['kind']}: {e['detail'] or ''}")


@callbacks_group.command("cancel")
@click.argument("protocol")
@now_option
def cancel_callback(protocol: str, now: datetime | None) -> None:
    """Cancela um retorno que ainda não foi feito."""
    now = now or utc_now()
    with configured_session(write=True) as session:
        c = _find(session, protocol)
        try:
            cancel(session, c, now, "supervisor")
        except NotActive:
            word = STATUS_WORDS.get(c.status, c.status)
            raise click.ClickException(f"o retorno {c.protocol} já está {word}") from None
        session.commit()
        click.echo(f"Retorno {c.protocol} cancelado.")


@callbacks_group.command("reschedule")
@click.argument("protocol")
@_with_when
@now_option
def reschedule_callback(
    protocol: str, at: datetime | None, when: str | None, now: datetime | None
) -> None:
    """Remarca um retorno agendado (--at ou --quando)."""
    settings = Settings.from_env()
    now = now or utc_now()
    wanted, at = _when(at, when)
    with configured_session(write=True) as session:
        c = _find(session, protocol)
        setup, _name = _line(settings, c.line)
        try:
            reschedule(session, c, setup.calendar, setup.policy, now, when=wanted, at=at)
        except NotActive:
            word = STATUS_WORDS.get(c.status, c.status)
            raise click.ClickException(
                f"o retorno {c.protocol} está {word}: não dá para remarcar"
            ) from None
        except NoSlot:
            raise click.ClickException("não há horário livre nesse período") from None
        session.commit()
        click.echo(f"Retorno {c.protocol} remarcado: {_slot_text(c, now)}.")


def move_covered_callbacks(settings: Settings, now: datetime) -> int | None:
    """Move the callbacks a closure just stored covers; how many (None: no menu to tell)."""
    from callbacks.moves import move_out_of_closures

    try:
        menu, _source = heard_menu(settings)
    except Exception:  # no readable menu: the dispatcher still postpones at dial time
        return None
    hours = heard_hours(settings, menu)
    with configured_session(write=True) as session:
        moved = move_out_of_closures(session, lambda line: line_setup(menu, hours, line), now)
        session.commit()
    return moved


def moved_sentence(moved: int) -> str:
    if moved == 0:
        return "Nenhum retorno agendado precisou ser remarcado."
    if moved == 1:
        return "1 retorno agendado foi remarcado para o próximo horário livre."
    return f"{moved} retornos agendados foram remarcados para os próximos horários livres."

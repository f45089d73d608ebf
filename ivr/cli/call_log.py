"""``ivr calls …``: the call log as a supervisor reads it.

Callers' numbers are personal data (LGPD): they print masked, last 4 digits
only, unless ``ivr calls show --show-number`` asks for one call's number; so
does a number said during the call. A number keyed at the callback step is
stored masked already (the callback keeps it); steps logged before that are
masked here too.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import click

from ivr.cli.db import configured_session
from ivr.cli.params import Instant
from ivr.numbers import masked, masked_in_text
from ivr.storage.models import Call, CallStep, SurveyAnswerRecord

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def local_time(instant: datetime | None) -> str:
    """``24/11/2026 10h00`` in São Paulo time; ``—`` when there is none."""
    if instant is None:
        return "—"
    return instant.astimezone(SAO_PAULO).strftime("%d/%m/%Y %Hh%M")


def _iso(instant: datetime | None) -> str | None:
    return instant.astimezone(SAO_PAULO).isoformat() if instant is not None else None


def transfer_target(detail: str) -> str:
    """A transfer's target as ``ivr call`` prints it: ``queue:suporte-erp``, a number, a SIP URI."""
    if detail.startswith(("+", "sip:", "queue:")) or not detail:
        return detail
    return f"queue:{detail}"


# How each stored outcome reads (``--outcome`` takes the stored names).
OUTCOMES = {
    "transferred": "transferida",
    "voicemail": "recado",
    "callback": "retorno agendado",
    "no_message": "recado vazio",
    "hung_up": "desligou",
    "timed_out": "sem resposta",
    "error": "erro",
}


def outcome_text(call: Call) -> str:
    """How the call ended in a few words, e.g. ``transferida → queue:suporte-erp``."""
    detail = call.outcome_detail or ""
    said = OUTCOMES.get(call.outcome or "", call.outcome or "")
    match call.outcome:
        case None:
            return "em andamento" if call.ended_at is None else "—"
        case "transferred":
            return f"{said} → {transfer_target(detail)}"
        case "voicemail" | "callback" | "no_message":
            return said
        case "hung_up" | "timed_out":
            return f"{said} em {detail}" if detail else said
        case _:
            return f"{said}: {detail}" if detail else said


def call_data(
    call: Call, *, show_number: bool = False, rating: int | None = None
) -> dict[str, Any]:
    """The call's header as plain data; the caller's number masked unless asked;
    ``rating``: what the caller gave in the satisfaction survey."""
    return {
        "call_sid": call.call_sid,
        "started_at": _iso(call.started_at),
        "ended_at": _iso(call.ended_at),
        "from": call.from_number if show_number else masked(call.from_number),
        "to": call.to_number,
        "line": call.line,
        "status": call.status,
        "duration": call.duration,
        "outcome": call.outcome,
        "outcome_detail": call.outcome_detail,
        "menu_version": call.menu_version,
        "recording_url": call.recording_url,
        "recording_duration": call.recording_duration,
        "rating": rating,
    }


def answer_data(answer: SurveyAnswerRecord, *, show_number: bool = False) -> dict[str, Any]:
    return {
        "step": answer.step,
        "at": _iso(answer.at),
        "rating": answer.rating,
        "comment": _shown(answer.comment, show_number),
        "recording_url": answer.recording_url,
    }


def _shown(text: str | None, show_number: bool) -> str | None:
    """Keys or words of a step, any phone number in them masked unless asked."""
    return text if show_number or not text else masked_in_text(text)


def step_data(step: CallStep, *, show_number: bool = False) -> dict[str, Any]:
    return {
        "step": step.step,
        "node": step.node,
        "digits": _shown(step.digits, show_number),
        "speech": _shown(step.speech, show_number),
        "entered": list(step.path or []),
        "outcome": step.outcome,
        "outcome_detail": step.outcome_detail,
        "at": _iso(step.at),
    }


@click.group()
def calls() -> None:
    """Registro de ligações: as mais recentes e o caminho de cada uma."""


_COLUMNS = ("INÍCIO", "CHAMADA", "DE", "LINHA", "SITUAÇÃO", "DESFECHO")


@calls.command("list")
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Quantas ligações."
)
@click.option(
    "--outcome",
    type=click.Choice(list(OUTCOMES)),
    default=None,
    help="Só as ligações que terminaram assim: "
    + ", ".join(f"{k} ({v})" for k, v in OUTCOMES.items()),
)
@click.option(
    "--line", default=None, help="Só as ligações que escolheram esta linha de produto, ex.: erp."
)
@click.option(
    "--since",
    type=Instant(),
    default=None,
    help="Só as ligações iniciadas a partir deste instante, ex.: 2026-11-24 ou 2026-11-24T13:30 "
    "(horário de São Paulo).",
)
@click.option("--json", "as_json", is_flag=True, help="As ligações em JSON (números mascarados).")
def list_calls(
    limit: int, outcome: str | None, line: str | None, since: datetime | None, as_json: bool
) -> None:
    """As ligações mais recentes primeiro, uma por linha, sob os títulos das colunas."""
    from ivr.storage.call_records import recent_calls
    from ivr.storage.survey import ratings_by_call

    with configured_session() as session:
        rows = recent_calls(session, limit, outcome=outcome, line=line, since=since)
        if as_json:
            ratings = ratings_by_call(session, [call.call_sid for call in rows])
            data = [call_data(call, rating=ratings.get(call.call_sid)) for call in rows]
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        if not rows:
            filtered = outcome is not None or line is not None or since is not None
            click.echo("nenhuma ligação com esses filtros" if filtered else "nenhuma ligação ainda")
            return
        table = [_COLUMNS] + [
            (
                local_time(call.started_at),
                call.call_sid,
                masked(call.from_number),
                call.line or "—",
                call.status or "—",
                outcome_text(call),
            )
            for call in rows
        ]
        widths = [max(len(row[i]) for row in table) for i in range(len(_COLUMNS) - 1)]
        for row in table:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            click.echo("  ".join([*cells, row[-1]]))


def _keys(step: CallStep, show_number: bool) -> str:
    parts = []
    if step.digits:
        parts.append(f"teclas {_shown(step.digits, show_number)}")
    if step.speech:
        parts.append(f'disse "{_shown(step.speech, show_number)}"')
    return ", ".join(parts)


@calls.command("show")
@click.argument("call_sid")
@click.option(
    "--show-number", is_flag=True, help="Mostra o número completo de quem ligou (dado pessoal)."
)
@click.option("--json", "as_json", is_flag=True, help="A ligação e os seus passos em JSON.")
def show_call(call_sid: str, show_number: bool, as_json: bool) -> None:
    """Uma ligação: quem ligou (mascarado), quando, como terminou e cada passo do caminho."""
    from ivr.storage.call_records import get_call
    from ivr.storage.survey import call_answers

    with configured_session() as session:
        call = get_call(session, call_sid)
        if call is None:
            raise click.ClickException(f"a ligação {call_sid} não está no registro de ligações")
        answers = call_answers(session, call_sid)
        rating = next((a.rating for a in reversed(answers) if a.rating is not None), None)
        if as_json:
            data = call_data(call, show_number=show_number, rating=rating)
            data["survey"] = [answer_data(answer, show_number=show_number) for answer in answers]
            data["steps"] = [step_data(step, show_number=show_number) for step in call.steps]
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        caller = call.from_number if show_number else masked(call.from_number)
        duration = f" ({call.duration} s)" if call.duration is not None else ""
        version = f"versão {call.menu_version}" if call.menu_version is not None else "—"
        click.echo(f"ligação {call.call_sid}")
        click.echo(f"  início    {local_time(call.started_at)} (America/Sao_Paulo)")
        click.echo(f"  de        {caller}")
        click.echo(f"  para      {call.to_number or '—'}")
        click.echo(f"  linha     {call.line or '—'}")
        click.echo(f"  menu      {version}")
        click.echo(f"  situação  {call.status or '—'}{duration}")
        click.echo(f"  desfecho  {outcome_text(call)}")
        if call.recording_url:
            length = (
                f" ({call.recording_duration} s)" if call.recording_duration is not None else ""
            )
            click.echo(f"  gravação  {call.recording_url}{length}")
        if rating is not None:
            click.echo(f"  nota      {rating} de 5 (pesquisa de satisfação)")
        for answer in answers:
            if answer.comment:
                click.echo(f'  opinião   "{_shown(answer.comment, show_number)}"')
            if answer.recording_url:
                click.echo(f"  opinião   gravada em {answer.recording_url}")
        click.echo("caminho:")
        if not call.steps:
            click.echo("  (nenhum passo registrado)")
        for step in call.steps:
            parts = [f"  #{step.step:<3} {step.node:<20} {_keys(step, show_number) or '—':<16}"]
            if step.path:
                parts.append("entrou em " + " → ".join(step.path))
            if step.outcome:
                parts.append(f"[{step.outcome}]")
            click.echo(" ".join(parts).rstrip())

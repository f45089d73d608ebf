"""``ivr tickets …``: the tickets as a supervisor reads and moves them (pt-BR).

Callers' numbers are personal data (LGPD): masked, last 4 digits only,
unless ``--show-number``. ``--json`` gives times as ISO-8601 with the São
Paulo offset and numbers in E.164 (masked unless asked).
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from hours.clock import utc_now
from ivr.cli.call_log import SAO_PAULO, local_time
from ivr.cli.db import configured_session
from ivr.numbers import masked, masked_in_text
from ivr.storage.ticket_tables import OutboxItem, TicketRecord
from tickets_bridge.store import Status

DELIVERY_WORDS = {"pending": "pendente", "delivered": "entregue", "dead": "não entregue"}


def _iso(instant: Any) -> str | None:
    return instant.astimezone(SAO_PAULO).isoformat() if instant is not None else None


def _ticket_item(record: TicketRecord) -> OutboxItem | None:
    return next((i for i in record.deliveries if i.comment_id is None), None)


def _text(text: str, show_number: bool) -> str:
    """A message as printed: any phone number in it masked unless asked."""
    return text if show_number else masked_in_text(text)


def ticket_data(record: TicketRecord, *, show_number: bool = False) -> dict[str, Any]:
    item = _ticket_item(record)
    return {
        "protocol": record.protocol,
        "status": record.status,
        "line": record.line,
        "topic": record.topic,
        "priority": record.priority,
        "phone": record.phone if show_number else masked(record.phone),
        "created_at": _iso(record.created_at),
        "updated_at": _iso(record.updated_at),
        "first_response_due": _iso(record.first_response_due),
        "store": record.store,
        "delivery": record.delivery,
        "remote_id": record.remote_id,
        "attempts": item.attempts if item else 0,
        "last_error": item.last_error if item else None,
        "follows": record.follows.protocol if record.follows else None,
    }


def _find(session: Session, protocol: str) -> TicketRecord:
    digits = "".join(ch for ch in protocol if ch.isdigit())
    record = session.scalar(select(TicketRecord).where(TicketRecord.protocol == digits))
    if record is None:
        raise click.ClickException(f"protocolo {protocol} não encontrado")
    return record


def _plain(text: str) -> str:
    """``Pendência do Cliente`` → ``pendencia do cliente``: what a supervisor may type."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().replace("-", " ").replace("_", " ").split())


class StatusChoice(click.ParamType):
    name = "STATUS"

    def convert(self, value: object, param: Any, ctx: Any) -> Status:
        if isinstance(value, Status):
            return value
        wanted = _plain(str(value))
        for status in Status:
            if _plain(status.value) == wanted:
                return status
        names = ", ".join(f'"{s.value}"' for s in Status)
        self.fail(f"status desconhecido: {value!r} (use {names})", param, ctx)


@click.group()
def tickets() -> None:
    """Chamados: protocolos, status e entrega ao sistema de chamados."""


@tickets.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON (números mascarados).")
@click.option("--show-number", is_flag=True, help="Mostrar o telefone completo (dado pessoal).")
def list_tickets(limit: int, as_json: bool, show_number: bool) -> None:
    """Os chamados mais recentes primeiro, um por linha."""
    with configured_session() as session:
        records = session.scalars(
            select(TicketRecord).order_by(TicketRecord.id.desc()).limit(limit)
        ).all()
        if as_json:
            data = [ticket_data(r, show_number=show_number) for r in records]
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        if not records:
            click.echo("nenhum chamado ainda")
        for r in records:
            phone = r.phone if show_number else masked(r.phone)
            click.echo(
                f"{local_time(r.created_at)}  {r.protocol}  {r.status:<20} {r.line or '—':<8} "
                f"{phone:<17} {DELIVERY_WORDS[r.delivery]:<12} {r.remote_id or '—'}"
            )


@tickets.command("show")
@click.argument("protocol")
@click.option("--json", "as_json", is_flag=True, help="O chamado e os comentários em JSON.")
@click.option("--show-number", is_flag=True, help="Mostrar o telefone completo (dado pessoal).")
def show_ticket(protocol: str, as_json: bool, show_number: bool) -> None:
    """Um chamado: dados, prazo, entrega, anexos e comentários."""
    with configured_session() as session:
        r = _find(session, protocol)
        data = ticket_data(r, show_number=show_number)
        data["subject"] = r.subject
        data["description"] = _text(r.description, show_number)
        data["attachments"] = [
            {"url": a.url, "kind": a.kind, "duration": a.duration} for a in r.attachments
        ]
        data["comments"] = [
            {
                "author": c.author,
                "at": _iso(c.at),
                "text": _text(c.text, show_number),
                "public": c.public,
            }
            for c in r.comments
        ]
        if as_json:
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        item = _ticket_item(r)
        click.echo(f"protocolo {r.protocol}")
        click.echo(f"  status       {r.status}")
        click.echo(f"  prioridade   {r.priority}")
        click.echo(f"  linha        {r.line or '—'}  assunto: {r.topic or '—'}")
        click.echo(f"  telefone     {data['phone']}")
        click.echo(f"  aberto em    {local_time(r.created_at)} (America/Sao_Paulo)")
        click.echo(f"  atualizado   {local_time(r.updated_at)}")
        click.echo(f"  responder até {local_time(r.first_response_due)}")
        if r.follows is not None:
            click.echo(f"  continua     o protocolo {r.follows.protocol}")
        delivery = DELIVERY_WORDS[r.delivery]
        if item is not None and item.attempts:
            delivery += f" ({item.attempts} tentativa{'s' if item.attempts > 1 else ''})"
        click.echo(f"  entrega      {delivery} → {r.store} {r.remote_id or ''}".rstrip())
        if item is not None and item.last_error and r.delivery != "delivered":
            click.echo(f"  último erro  {item.last_error}")
        for later in r.deliveries:  # the caller's later messages not yet in the store
            if later.comment_id is not None and later.delivery != "delivered":
                why = f": {later.last_error}" if later.last_error else ""
                click.echo(f"  recado       {DELIVERY_WORDS[later.delivery]}{why}")
        click.echo(f"  {r.subject}")
        click.echo(f"  {data['description']}")
        for a in r.attachments:
            length = f" ({a.duration} s)" if a.duration is not None else ""
            click.echo(f"  anexo        {a.kind}: {a.url}{length}")
        for c in r.comments:
            click.echo(f"  — {local_time(c.at)} {c.author}: {_text(c.text, show_number)}")


@tickets.command("retry")
@click.argument("protocol", required=False)
def retry(protocol: str | None) -> None:
    """Devolver à fila de entrega os chamados que não foram entregues (um, ou todos)."""
    from tickets_bridge.outbox import retry_dead

    with configured_session(write=True) as session:
        if protocol is not None:
            protocol = _find(session, protocol).protocol
        retried = retry_dead(session, utc_now(), protocol)
        session.commit()
    if not retried:
        click.echo("nenhuma entrega a refazer")
        return
    for p in retried:
        click.echo(f"{p}: de volta à fila de entrega")


@tickets.command("status")
@click.argument("protocol")
@click.argument("status", type=StatusChoice())
def set_status(protocol: str, status: Status) -> None:
    """Mudar o status de um chamado do sistema de chamados embutido."""
    from tickets_bridge.sql_store import set_status as move
    from tickets_bridge.store import TicketClosed

    with configured_session(write=True) as session:
        r = _find(session, protocol)
        if r.store != "sql":
            raise click.ClickException(
                f"o protocolo {r.protocol} está no {r.store}: mude o status por lá"
            )
        before = r.status
        try:
            move(session, r, status, utc_now())
        except TicketClosed:
            raise click.ClickException(
                f"o protocolo {r.protocol} está Resolvido e não pode ser reaberto; "
                "um novo contato do cliente abre um chamado de continuação"
            ) from None
        protocol = r.protocol
        session.commit()
    click.echo(f"{protocol}: {before} → {status.value}")

"""Tickets the line created: recent ones, search by protocol or number, each with its
history; deliveries waiting or dead, retried through ``tickets_bridge.outbox``."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ivr.storage.accounts import audit
from ivr.storage.ticket_tables import OutboxItem, TicketRecord
from ivr.web.console.access import supervisor_only
from ivr.web.console.blueprint import bp, reading, services, writing
from tickets_bridge.outbox import retry_dead

DELIVERY_WORDS = {"pending": "aguardando", "delivered": "entregue", "dead": "não entregue"}


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


@bp.get("/tickets")
def tickets():
    query = request.args.get("q", "").strip()
    with reading() as db:
        base = select(TicketRecord).options(selectinload(TicketRecord.deliveries))
        digits = _digits(query)
        if query and digits:
            base = base.where(
                or_(TicketRecord.protocol == digits, TicketRecord.phone.like(f"%{digits}"))
            )
        elif query:
            base = base.where(TicketRecord.id.is_(None))
        records = list(db.scalars(base.order_by(TicketRecord.id.desc()).limit(100)))
        waiting = list(
            db.scalars(
                select(OutboxItem)
                .options(selectinload(OutboxItem.ticket))
                .where(OutboxItem.delivered_at.is_(None))
                .order_by(OutboxItem.dead.desc(), OutboxItem.id)
                .limit(200)
            )
        )
    return render_template(
        "console/tickets.html",
        records=records,
        waiting=waiting,
        query=query,
        words=DELIVERY_WORDS,
    )


@bp.get("/tickets/<protocol>")
def ticket_detail(protocol: str):
    with reading() as db:
        record = db.scalar(
            select(TicketRecord)
            .options(
                selectinload(TicketRecord.comments),
                selectinload(TicketRecord.deliveries),
                selectinload(TicketRecord.attachments),
            )
            .where(TicketRecord.protocol == _digits(protocol))
        )
        if record is None:
            abort(404)
        follows = record.follows.protocol if record.follows else None
    return render_template("console/ticket.html", r=record, follows=follows, words=DELIVERY_WORDS)


@bp.post("/tickets/retry")
@supervisor_only
def retry_deliveries():
    """Put dead deliveries back in the queue: one ticket's (``protocol``), or all."""
    now = services().clock()
    protocol = _digits(request.form.get("protocol", "")) or None
    with writing() as db:
        retried = retry_dead(db, now, protocol)
        if retried:
            audit(
                db,
                current_user.name,
                "tickets.retry",
                ", ".join(retried),
                now,
                "não entregue",
                "aguardando",
            )
    if retried:
        flash(f"De volta à fila de entrega: {', '.join(retried)}.", "ok")
    else:
        flash("Nenhuma entrega a refazer.", "ok")
    if protocol:
        return redirect(url_for("console.ticket_detail", protocol=protocol))
    return redirect(url_for("console.tickets"))

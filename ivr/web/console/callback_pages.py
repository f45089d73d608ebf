"""Callbacks: today's and upcoming ones by line, failed ones, each with its attempts;
book, reschedule, cancel, call now — through ``callbacks.booking``, as ``ivr callbacks`` does."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from callbacks.booking import (
    ACTIVE,
    FAILED,
    AlreadyBooked,
    NoSlot,
    NotActive,
    When,
    book,
    bring_forward,
    cancel,
    reschedule,
)
from callbacks.numbers import NumberRefused, callback_number
from callbacks.supervision import STATUS_WORDS, WHEN_CHOICES, find_callback
from ivr.callback_setup import live_lines
from ivr.storage.accounts import audit
from ivr.storage.models import Callback
from ivr.web.console.access import supervisor_only
from ivr.web.console.blueprint import bp, reading, services, writing
from ivr.web.console.menus import SAO_PAULO
from tickets_bridge.protocol import next_protocol


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def search_filter(query: str):
    """A protocol, or (part of) a number typed any way: ``(11) 98765-4321``, ``4321``."""
    digits = _digits(query)
    if not digits:
        return None
    return or_(Callback.protocol == digits, Callback.number.like(f"%{digits}"))


@bp.get("/callbacks")
def callbacks():
    now = services().clock()
    query = request.args.get("q", "").strip()
    with reading() as db:
        base = select(Callback).options(selectinload(Callback.attempt_rows))
        if query:
            found = search_filter(query)
            rows = (
                list(db.scalars(base.where(found).order_by(Callback.id.desc()).limit(50)))
                if found is not None
                else []
            )
            upcoming, failed = rows, []
        else:
            upcoming = list(
                db.scalars(
                    base.where(Callback.status.in_(ACTIVE))
                    .order_by(Callback.line, Callback.scheduled_for)
                    .limit(500)
                )
            )
            failed = list(
                db.scalars(
                    base.where(
                        Callback.status == FAILED, Callback.updated_at > now - timedelta(days=7)
                    )
                    .order_by(Callback.updated_at.desc())
                    .limit(100)
                )
            )
    _version, release = services().versions.current()
    today = now.astimezone(SAO_PAULO).date()
    return render_template(
        "console/callbacks.html",
        upcoming=upcoming,
        failed=failed,
        query=query,
        words=STATUS_WORDS,
        lines={k: v.name for k, v in release.menu.lines.items()},
        today=today,
        tz=SAO_PAULO,
    )


def _find(db: Session, protocol: str) -> Callback:
    callback = find_callback(db, protocol)
    return callback if callback is not None else abort(404)


@bp.get("/callbacks/<protocol>")
def callback_detail(protocol: str):
    with reading() as db:
        callback = _find(db, protocol)
        attempts, events = list(callback.attempt_rows), list(callback.events)
    return render_template(
        "console/callback.html",
        c=callback,
        attempts=attempts,
        events=events,
        words=STATUS_WORDS,
    )


@bp.post("/callbacks/book")
@supervisor_only
def book_callback():
    now = services().clock()
    line = request.form.get("line", "")
    try:
        dialable = callback_number(request.form.get("number", ""))
    except NumberRefused as refused:
        flash(refused.message, "error")
        return redirect(url_for("console.callbacks"))
    lines = live_lines(services().versions)
    _version, release = services().versions.current()
    if line not in release.menu.lines:
        flash("Escolha uma linha de produto.", "error")
        return redirect(url_for("console.callbacks"))
    setup = lines(line)
    with writing() as db:
        try:
            callback = book(
                db,
                setup.calendar,
                setup.policy,
                line=line,
                number=dialable.e164,
                protocol=next_protocol(db, now),
                now=now,
                when=WHEN_CHOICES.get(request.form.get("when", ""), When.FIRST_AVAILABLE),
                reason=request.form.get("reason") or release.menu.lines[line].name,
                author=current_user.name,
            )
        except AlreadyBooked as already:
            flash(f"Esse número já tem o retorno {already.callback.protocol} nessa linha.", "error")
            return redirect(url_for("console.callbacks"))
        except NoSlot:
            flash("Não há horário livre para retorno nessa linha.", "error")
            return redirect(url_for("console.callbacks"))
        protocol, slot = callback.protocol, callback.slot_start
        audit(db, current_user.name, "callback.book", f"retorno {protocol}", now, None, _when(slot))
    flash(f"Retorno agendado: protocolo {protocol}, {_when(slot)}.", "ok")
    return redirect(url_for("console.callback_detail", protocol=protocol))


def _when(instant: datetime) -> str:
    return instant.astimezone(SAO_PAULO).strftime("%d/%m/%Y %H:%M")


@bp.post("/callbacks/<protocol>/cancel")
@supervisor_only
def cancel_callback(protocol: str):
    now = services().clock()
    with writing() as db:
        callback = _find(db, protocol)
        before = STATUS_WORDS.get(callback.status, callback.status)
        try:
            cancel(db, callback, now, current_user.name)
        except NotActive:
            flash(f"O retorno {callback.protocol} já está {before}.", "error")
            return redirect(url_for("console.callback_detail", protocol=protocol))
        audit(
            db,
            current_user.name,
            "callback.cancel",
            f"retorno {callback.protocol}",
            now,
            before,
            "cancelado",
        )
    flash(f"Retorno {protocol} cancelado.", "ok")
    return redirect(url_for("console.callback_detail", protocol=protocol))


@bp.post("/callbacks/<protocol>/reschedule")
@supervisor_only
def reschedule_callback(protocol: str):
    now = services().clock()
    at = None
    if request.form.get("date"):
        try:
            at = datetime.fromisoformat(
                f"{request.form['date']}T{request.form.get('time') or '00:00'}"
            ).replace(tzinfo=SAO_PAULO)
        except ValueError:
            flash("Data ou hora inválida.", "error")
            return redirect(url_for("console.callback_detail", protocol=protocol))
    when = WHEN_CHOICES.get(request.form.get("when", ""), When.FIRST_AVAILABLE)
    lines = live_lines(services().versions)
    with writing() as db:
        callback = _find(db, protocol)
        before = _when(callback.slot_start)
        setup = lines(callback.line)
        try:
            slot = reschedule(
                db,
                callback,
                setup.calendar,
                setup.policy,
                now,
                when=when,
                at=at,
                author=current_user.name,
            )
        except NotActive:
            flash("Só um retorno agendado pode ser remarcado.", "error")
            return redirect(url_for("console.callback_detail", protocol=protocol))
        except NoSlot:
            flash("Não há horário livre nesse período.", "error")
            return redirect(url_for("console.callback_detail", protocol=protocol))
        audit(
            db,
            current_user.name,
            "callback.reschedule",
            f"retorno {protocol}",
            now,
            before,
            _when(slot.start),
        )
    flash(f"Retorno {protocol} remarcado para {_when(slot.start)}.", "ok")
    return redirect(url_for("console.callback_detail", protocol=protocol))


@bp.post("/callbacks/<protocol>/call-now")
@supervisor_only
def call_now(protocol: str):
    now = services().clock()
    with writing() as db:
        callback = _find(db, protocol)
        before = _when(callback.scheduled_for)
        try:
            bring_forward(callback, now, current_user.name)
        except NotActive:
            flash("Só um retorno agendado pode ser feito agora.", "error")
            return redirect(url_for("console.callback_detail", protocol=protocol))
        audit(
            db,
            current_user.name,
            "callback.call_now",
            f"retorno {protocol}",
            now,
            before,
            _when(now),
        )
    flash(
        f"Retorno {protocol}: a discagem começa em instantes, se o atendimento estiver aberto.",
        "ok",
    )
    return redirect(url_for("console.callback_detail", protocol=protocol))

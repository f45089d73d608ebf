"""Hours: each schedule's week, the year's holidays and closures, the emergency switch.

A closure is stored by ``ivr.storage.closures`` (as ``ivr hours close`` does),
and the booked callbacks it covers are moved by ``callbacks.moves``; before
anything is stored, the supervisor sees how many that will be, counted by
running the same move in a transaction that is rolled back.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session

from callbacks.moves import move_out_of_closures
from hours.schedule import EmergencyClosure
from ivr.callback_setup import line_setup
from ivr.menus.loader import load_menu
from ivr.storage import closures, menu_versions
from ivr.storage.accounts import audit
from ivr.web.console.access import supervisor_only
from ivr.web.console.blueprint import bp, reading, rehearsing, services, writing
from ivr.web.console.menus import SAO_PAULO

WEEKDAYS = ("Segunda", "Terça", "Quarta", "Quinta", "Sexta", "Sábado", "Domingo")
KINDS = {"holiday": "Feriado", "closure": "Fechado", "opening": "Aberto (especial)"}


def _clock_text(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _live_menu(db: Session):
    version = menu_versions.latest(db) or abort(404)
    return load_menu(version.content, "menus.yaml")


@bp.get("/hours")
def hours():
    now = services().clock()
    year = request.args.get("year", type=int) or now.astimezone(SAO_PAULO).year
    with reading() as db:
        menu = _live_menu(db)
        stored = closures.current(db, now)
        emergencies = closures.emergency_closures(db, now)
    calendars = menu.hours(lambda: emergencies).calendars
    schedules = []
    for name, calendar in calendars.items():
        week = [
            (day, ", ".join(f"{_clock_text(s.start)}–{_clock_text(s.end)}" for s in shifts) or "—")
            for day, shifts in zip(WEEKDAYS, calendar.schedule.week, strict=True)
        ]
        entries = [(KINDS.get(e.kind, e.kind), e) for e in calendar.entries(year)]
        schedules.append({"name": name, "week": week, "entries": entries})
    return render_template(
        "console/hours.html",
        schedules=schedules,
        year=year,
        stored=stored,
        now=now.astimezone(SAO_PAULO),
        names=list(calendars),
        preview=None,
    )


def _closure_from_form(now: datetime) -> tuple[str, datetime, datetime | None, list[str] | None]:
    """(message, start, end, schedules) typed in São Paulo time; ValueError with a pt-BR reason."""
    message = request.form.get("message", "").strip()
    if not message:
        raise ValueError("Escreva a mensagem que quem ligar vai ouvir.")
    start = now
    if request.form.get("start_date"):
        start = _local(request.form["start_date"], request.form.get("start_time") or "00:00")
    end = None
    if request.form.get("end_date"):
        end = _local(request.form["end_date"], request.form.get("end_time") or "00:00")
        if end <= start:
            raise ValueError("O fim precisa ser depois do início.")
    elif not request.form.get("until_reopened"):
        raise ValueError("Diga quando reabre, ou marque “até reabrir”.")
    schedules = request.form.getlist("schedules") or None
    return message, start, end, schedules


def _local(day: str, clock_time: str) -> datetime:
    try:
        return datetime.fromisoformat(f"{day}T{clock_time}").replace(tzinfo=SAO_PAULO)
    except ValueError:
        raise ValueError("Data ou hora inválida.") from None


def _move_covered(db: Session, menu, extra: EmergencyClosure | None, now: datetime) -> int:
    """Move the booked callbacks the closures (and ``extra``) cover; how many."""
    stored = closures.emergency_closures(db, now)
    every = (*stored, extra) if extra is not None else stored
    hours_ = menu.hours(lambda: every)
    return move_out_of_closures(db, lambda line: line_setup(menu, hours_, line), now)


@bp.post("/hours/close")
@supervisor_only
def close_line():
    """Without ``confirm``: show what the closure will do; with it: store it."""
    now = services().clock()
    try:
        message, start, end, schedules = _closure_from_form(now)
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for("console.hours"))
    planned = EmergencyClosure(
        start.astimezone(UTC),
        end.astimezone(UTC) if end else None,
        message,
        frozenset(schedules) if schedules else None,
    )
    if not request.form.get("confirm"):
        with rehearsing() as db:  # a count only: nothing is kept
            moves = _move_covered(db, _live_menu(db), planned, now)
        return render_template(
            "console/close_confirm.html",
            form=request.form,
            moves=moves,
            start=start.astimezone(SAO_PAULO),
            end=end.astimezone(SAO_PAULO) if end else None,
            message=message,
            schedules=schedules,
        )
    with writing() as db:
        record = closures.close(db, message, start, end, current_user.name, schedules, now=now)
        number = record.id
        db.flush()
        moved = _move_covered(db, _live_menu(db), None, now)
        audit(
            db,
            current_user.name,
            "hours.close",
            f"fechamento nº {number}",
            now,
            None,
            f"{message} ({start:%d/%m/%Y %H:%M} até "
            f"{end.strftime('%d/%m/%Y %H:%M') if end else 'reabrir'}); "
            f"{moved} retorno(s) remarcado(s)",
        )
    flash(f"Fechamento nº {number} registrado; {moved} retorno(s) remarcado(s).", "ok")
    return redirect(url_for("console.hours"))


@bp.post("/hours/closures/<int:closure_id>/reopen")
@supervisor_only
def reopen_closure(closure_id: int):
    now = services().clock()
    with writing() as db:
        count = closures.reopen(db, now, closure_id)
        if count:
            audit(db, current_user.name, "hours.reopen", f"fechamento nº {closure_id}", now)
    if count:
        flash(f"Fechamento nº {closure_id} encerrado.", "ok")
    else:
        flash(f"O fechamento nº {closure_id} não está em vigor nem programado.", "error")
    return redirect(url_for("console.hours"))

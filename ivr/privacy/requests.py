"""A caller's requests under the LGPD: what is kept about a number, and forgetting it.

``export`` gathers everything the database holds about one phone number:
the calls from it and the callback calls to it (with their steps,
recording links and satisfaction survey answers), its callbacks (attempts
and history), its tickets (comments and attachments), and the steps of
other calls where it was keyed in clear (older call logs). ``forget``
deletes all of it in one transaction (those other calls' steps stay, the
number masked), cancelling pending callbacks first so their slots are
given back, and leaves an audit record that names the number only by a
keyed hash: a repeated request is recognised, the number is not kept.

The remote ticket store, when there is one, is asked separately
(``redact_remote``): it may be down, and the local erasure must not wait
for it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from callbacks.booking import ACTIVE, cancel
from ivr.numbers import masked_keys
from ivr.storage.accounts import audit
from ivr.storage.models import Call, Callback, CallStep, SurveyAnswerRecord, TicketRecord
from tickets_bridge.store import RedactionUnsupported, StoreUnavailable, TicketStoreError

AUDIT_ACTION_FORGET = "privacy.forget"
AUDIT_ACTION_EXPORT = "privacy.export"
AUDIT_ACTION_REMOTE = "privacy.remote_redaction"


def number_hash(number: str, key: str) -> str:
    """The number as the audit log names it: HMAC-SHA256 under the secret key.

    Keyed, so nobody can confirm a guessed number from the log without the
    key; stable, so a second request for the same number is recognisable.
    """
    if not key:
        raise ValueError("a keyed hash needs IVR_SECRET_KEY")
    digest = hmac.new(key.encode(), number.encode(), hashlib.sha256).hexdigest()
    return f"hmac-sha256:{digest}"


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant is not None else None


def _calls(session: Session, number: str) -> list[Call]:
    query = select(Call).where(or_(Call.from_number == number, Call.to_number == number))
    return list(session.scalars(query.order_by(Call.started_at, Call.call_sid)))


def _callbacks(session: Session, number: str) -> list[Callback]:
    query = select(Callback).where(Callback.number == number).order_by(Callback.id)
    return list(session.scalars(query))


def _keyed_steps(session: Session, number: str) -> list[CallStep]:
    """Steps of any call where the number was keyed in clear (the callback step, before
    the call log kept such keys masked): matched by the digits after the area code, as
    a caller may key them without it."""
    local = number[5:] if number.startswith("+55") else ""
    if len(local) < 8:
        return []
    query = select(CallStep).where(CallStep.digits.contains(local, autoescape=True))
    return list(session.scalars(query.order_by(CallStep.at, CallStep.id)))


def _tickets(session: Session, number: str, call_sids: list[str]) -> list[TicketRecord]:
    mine = TicketRecord.phone == number
    if call_sids:
        mine = or_(mine, TicketRecord.call_sid.in_(call_sids))
    return list(session.scalars(select(TicketRecord).where(mine).order_by(TicketRecord.id)))


def export(session: Session, number: str) -> dict[str, Any]:
    """Everything kept about ``number`` (E.164), as one JSON-ready document."""
    calls = _calls(session, number)
    tickets = _tickets(session, number, [c.call_sid for c in calls])
    recordings = [
        {"call_sid": c.call_sid, "url": c.recording_url, "duration": c.recording_duration}
        for c in calls
        if c.recording_url
    ] + [
        {"ticket": t.protocol, "url": a.url, "duration": a.duration}
        for t in tickets
        for a in t.attachments
    ]
    return {
        "number": number,
        "calls": [_call(c) for c in calls],
        "recordings": recordings,
        "callbacks": [_callback(c) for c in _callbacks(session, number)],
        "tickets": [_ticket(t) for t in tickets],
        "survey_answers": [_answer(a) for a in _answers(session, [c.call_sid for c in calls])],
        "keyed_in_calls": [
            {"call_sid": s.call_sid, "step": s.step, "digits": s.digits, "at": _iso(s.at)}
            for s in _keyed_steps(session, number)
            if s.call_sid not in {c.call_sid for c in calls}
        ],
    }


def is_empty(document: dict[str, Any]) -> bool:
    """Whether an export found nothing about the number."""
    return not any(value for key, value in document.items() if key != "number")


def _call(call: Call) -> dict[str, Any]:
    return {
        "call_sid": call.call_sid,
        "from": call.from_number,
        "to": call.to_number,
        "started_at": _iso(call.started_at),
        "ended_at": _iso(call.ended_at),
        "status": call.status,
        "outcome": call.outcome,
        "outcome_detail": call.outcome_detail,
        "duration": call.duration,
        "line": call.line,
        "recording_url": call.recording_url,
        "steps": [
            {
                "step": s.step,
                "node": s.node,
                "digits": s.digits,
                "speech": s.speech,
                "path": s.path,
                "outcome": s.outcome,
                "at": _iso(s.at),
            }
            for s in call.steps
        ],
    }


def _answers(session: Session, call_sids: list[str]) -> list[SurveyAnswerRecord]:
    if not call_sids:
        return []
    query = select(SurveyAnswerRecord).where(SurveyAnswerRecord.call_sid.in_(call_sids))
    return list(session.scalars(query.order_by(SurveyAnswerRecord.at, SurveyAnswerRecord.id)))


def _answer(answer: SurveyAnswerRecord) -> dict[str, Any]:
    return {
        "call_sid": answer.call_sid,
        "at": _iso(answer.at),
        "line": answer.line,
        "ticket": answer.ticket_protocol,
        "rating": answer.rating,
        "comment": answer.comment,
        "recording_url": answer.recording_url,
    }


def _callback(callback: Callback) -> dict[str, Any]:
    return {
        "protocol": callback.protocol,
        "number": callback.number,
        "line": callback.line,
        "reason": callback.reason,
        "status": callback.status,
        "slot_start": _iso(callback.slot_start),
        "slot_end": _iso(callback.slot_end),
        "created_at": _iso(callback.created_at),
        "ticket": callback.ticket_protocol,
        "attempts": [
            {
                "attempt": a.attempt,
                "dialed_at": _iso(a.dialed_at),
                "status": a.status,
                "outcome": a.outcome,
            }
            for a in callback.attempt_rows
        ],
        "events": [{"at": _iso(e.at), "kind": e.kind, "detail": e.detail} for e in callback.events],
    }


def _ticket(ticket: TicketRecord) -> dict[str, Any]:
    return {
        "protocol": ticket.protocol,
        "store": ticket.store,
        "remote_id": ticket.remote_id,
        "created_at": _iso(ticket.created_at),
        "status": ticket.status,
        "line": ticket.line,
        "topic": ticket.topic,
        "subject": ticket.subject,
        "description": ticket.description,
        "phone": ticket.phone,
        "email": ticket.email,
        "platform": ticket.platform,
        "comments": [
            {"at": _iso(c.at), "author": c.author, "text": c.text, "public": c.public}
            for c in ticket.comments
        ],
        "attachments": [
            {"url": a.url, "kind": a.kind, "duration": a.duration} for a in ticket.attachments
        ],
    }


@dataclass(frozen=True)
class Forgotten:
    """What ``forget`` removed: counts only, which the audit record keeps."""

    calls: int = 0
    survey_answers: int = 0
    callbacks: int = 0
    cancelled_callbacks: int = 0
    tickets: int = 0
    keyed_steps: int = 0  # steps of other calls where it was keyed, now masked

    @property
    def anything(self) -> bool:
        return bool(self.calls or self.callbacks or self.tickets or self.keyed_steps)


def forget(session: Session, number: str, now: datetime, *, actor: str, key: str) -> Forgotten:
    """Delete everything kept about ``number`` and audit it; the caller commits.

    Pending callbacks are cancelled first (their slot places go back to the
    line), then every row is deleted; steps, attempts, events, comments,
    attachments and outbox items go with their parents (ON DELETE CASCADE).
    """
    target = number_hash(number, key)
    calls = _calls(session, number)
    sids = [c.call_sid for c in calls]
    tickets = _tickets(session, number, sids)
    callbacks = _callbacks(session, number)
    cancelled = 0
    for callback in callbacks:
        if callback.status in ACTIVE:
            cancel(session, callback, now, "pedido de exclusão (LGPD)")
            cancelled += 1
    keyed = [s for s in _keyed_steps(session, number) if s.call_sid not in sids]
    for step in keyed:  # another caller's call: the step stays, the number goes
        step.digits = masked_keys(step.digits)
    session.flush()
    ticket_ids = [t.id for t in tickets]
    session.expunge_all()  # the rows go by statement; no stale object may flush them back
    if ticket_ids:
        # Another caller's follow-up may point at one of these tickets.
        session.execute(
            update(TicketRecord)
            .where(TicketRecord.follows_id.in_(ticket_ids))
            .values(follows_id=None)
        )
        session.execute(delete(TicketRecord).where(TicketRecord.id.in_(ticket_ids)))
    if callbacks:
        session.execute(delete(Callback).where(Callback.number == number))
    answers = 0
    if sids:
        answers = session.execute(
            delete(SurveyAnswerRecord).where(SurveyAnswerRecord.call_sid.in_(sids))
        ).rowcount
        session.execute(delete(Call).where(Call.call_sid.in_(sids)))
    done = Forgotten(
        calls=len(sids),
        survey_answers=answers,
        callbacks=len(callbacks),
        cancelled_callbacks=cancelled,
        tickets=len(ticket_ids),
        keyed_steps=len(keyed),
    )
    audit(session, actor, AUDIT_ACTION_FORGET, target, now, after=json.dumps(asdict(done)))
    return done


def audit_export(session: Session, number: str, now: datetime, *, actor: str, key: str) -> None:
    """Record that everything about a number was handed out (the number only hashed)."""
    audit(session, actor, AUDIT_ACTION_EXPORT, number_hash(number, key), now)


class Redactor(Protocol):
    """A ticket store that can be asked to erase a requester (the remote adapters)."""

    def redact_requester(self, phone: str) -> int: ...


@dataclass(frozen=True)
class RemoteRedaction:
    """How the remote store answered: ``done``, ``unsupported`` or ``failed``, and why."""

    outcome: str
    detail: str = ""


def redact_remote(
    session: Session,
    store_name: str,
    store: Redactor,
    number: str,
    now: datetime,
    *,
    actor: str,
    key: str,
) -> RemoteRedaction:
    """Ask the remote store to erase the requester; audit the answer; the caller commits.

    Never silent: a store that is down or cannot erase says so in the
    result and in the audit record, so someone can finish the job.
    """
    try:
        users = store.redact_requester(number)
    except RedactionUnsupported as exc:
        result = RemoteRedaction("unsupported", str(exc))
    except StoreUnavailable as exc:
        result = RemoteRedaction("failed", f"{store_name} fora do ar: {exc}")
    except TicketStoreError as exc:
        result = RemoteRedaction("failed", f"{store_name} recusou: {exc}")
    else:
        result = RemoteRedaction("done", f"{users} usuário(s) excluído(s) em {store_name}")
    audit(
        session,
        actor,
        AUDIT_ACTION_REMOTE,
        number_hash(number, key),
        now,
        after=json.dumps({"store": store_name, **asdict(result)}, ensure_ascii=False),
    )
    return result

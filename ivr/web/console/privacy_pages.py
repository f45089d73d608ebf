"""A caller's requests under the LGPD, answered from the console: export and forget.

The same domain functions as ``ivr privacy export|forget`` (``ivr.privacy.requests``),
the same keyed hash in the audit log, so a request made at the command line and
repeated here is recognised. Supervisors only. The number travels in the form's
body, never in a URL, and is never put in a flash message (the session cookie
is signed, not encrypted).
"""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from callbacks.booking import ACTIVE
from ivr.numbers import e164
from ivr.privacy.requests import (
    RemoteRedaction,
    audit_export,
    export,
    forget,
    is_empty,
    redact_remote,
)
from ivr.web.console.access import supervisor_only
from ivr.web.console.blueprint import bp, reading, services, writing

INVALID = "Não é um número de telefone válido. Digite com DDD, por exemplo (11) 98765-4321."


def _typed_number() -> tuple[str | None, str]:
    """(E.164 or None, what was typed)."""
    typed = request.form.get("number", "").strip()
    try:
        return e164(typed), typed
    except ValueError:
        return None, typed


def _refused(typed: str):
    return render_template("console/privacy.html", error=INVALID, typed=typed), 400


@bp.get("/privacy")
@supervisor_only
def privacy():
    return render_template("console/privacy.html", error=None, typed="")


@bp.post("/privacy/export")
@supervisor_only
def privacy_export():
    """Everything kept about the number, downloaded as one JSON document; audited."""
    phone, typed = _typed_number()
    if phone is None:
        return _refused(typed)
    now = services().clock()
    with writing() as db:
        document = export(db, phone)
        audit_export(
            db, phone, now, actor=current_user.name, key=services().settings.keyed_hash_key()
        )
    stamp = now.strftime("%Y%m%d-%H%M%S")
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2) + "\n",
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="dados-pessoais-{stamp}.json"',
            "Cache-Control": "no-store",
            "X-Nada-Guardado": "1" if is_empty(document) else "0",
        },
    )


@bp.post("/privacy/forget")
@supervisor_only
def privacy_forget():
    """Without ``confirm``: what would go; with it: erase, ask the remote store, audit."""
    phone, typed = _typed_number()
    if phone is None:
        return _refused(typed)
    settings = services().settings
    if not request.form.get("confirm"):
        with reading() as db:
            document = export(db, phone)
        pending = sum(c["status"] in ACTIVE for c in document["callbacks"])
        return render_template(
            "console/privacy_confirm.html", number=phone, d=document, pending=pending
        )
    now = services().clock()
    key = settings.keyed_hash_key()
    with writing() as db:
        done = forget(db, phone, now, actor=current_user.name, key=key)
    flash(
        f"Apagados: {done.calls} ligação(ões), {done.callbacks} retorno(s) "
        f"({done.cancelled_callbacks} cancelado(s)), {done.tickets} chamado(s).",
        "ok",
    )
    if settings.ticket_store != "sql":
        remote = _redact_remote(settings.ticket_store, phone, key)
        if remote.outcome == "done":
            flash(f"{remote.detail}.", "ok")
        else:
            flash(
                f"{settings.ticket_store}: {remote.detail}. Os dados locais foram apagados; "
                "a exclusão no sistema de chamados ainda precisa ser feita.",
                "error",
            )
    return redirect(url_for("console.privacy"))


def _redact_remote(store_name: str, phone: str, key: str) -> RemoteRedaction:
    """Ask the remote ticket store to erase the requester, as ``ivr privacy forget`` does."""
    from tickets_bridge.stores import make_remote_store

    now = services().clock()
    try:
        store = make_remote_store(store_name)
    except ValueError as exc:  # a setting of the store is missing
        return RemoteRedaction("failed", f"exclusão remota não pedida: {exc}")
    with writing() as db:
        return redact_remote(db, store_name, store, phone, now, actor=current_user.name, key=key)

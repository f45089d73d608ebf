"""The audit log page."""

from __future__ import annotations

from flask import render_template

from ivr.storage.accounts import recent_audit
from ivr.web.console.blueprint import bp, reading


@bp.get("/audit")
def audit_log():
    with reading() as db:
        entries = recent_audit(db, 200)
    return render_template("console/audit.html", entries=entries)

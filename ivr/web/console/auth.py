"""Logging in and out."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user

from ivr.storage.accounts import LockedOut, authenticate
from ivr.web.console.access import operator, safe_next
from ivr.web.console.blueprint import bp, services, writing


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = request.values.get("next", "")
    if request.method == "GET":
        return render_template("console/login.html", next=next_url, error=None)
    name = request.form.get("name", "")
    password = request.form.get("password", "")
    address = request.remote_addr or "?"
    error, status = None, 200
    with writing() as db:
        try:
            user = authenticate(db, name, password, address, services().clock())
        except LockedOut:
            user, status = None, 429
            error = "Muitas tentativas sem sucesso. Espere 15 minutos e tente de novo."
        else:
            if user is None:
                error, status = "Nome ou senha incorretos.", 401
            else:
                who = operator(user)
    if error:
        return render_template("console/login.html", next=next_url, error=error), status
    session.clear()  # a fresh session for the new identity (no fixation)
    session.permanent = True
    login_user(who)
    return redirect(safe_next(next_url))


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("console.login"))

"""Who is logged in, what they may do, and where they may be sent after logging in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import abort, redirect, render_template, request, url_for
from flask_login import UserMixin, current_user

from ivr.numbers import masked, masked_in_text
from ivr.storage.models import SUPERVISOR, ConsoleUser


@dataclass(frozen=True)
class Operator(UserMixin):
    """The logged-in console user, as the views see it."""

    user_id: int
    name: str
    role: str

    def get_id(self) -> str:
        return str(self.user_id)

    @property
    def is_supervisor(self) -> bool:
        return self.role == SUPERVISOR


def operator(user: ConsoleUser) -> Operator:
    return Operator(user.id, user.name, user.role)


def load_user(user_id: str) -> Operator | None:
    from ivr.web.console.blueprint import reading

    if not user_id.isdecimal():
        return None
    with reading() as session:
        user = session.get(ConsoleUser, int(user_id))
        return operator(user) if user is not None else None


def unauthorized():
    if request.method == "GET":
        return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
    abort(401)


def supervisor_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Viewers read; only supervisors change anything (403, nothing changed)."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_supervisor:
            return render_template(
                "console/error.html",
                title="Sem permissão",
                message="Só supervisores podem fazer isso. Peça a um supervisor.",
            ), 403
        return view(*args, **kwargs)

    return checked


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of the console, never another site."""
    fallback = url_for("console.dashboard")
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/admin") or target.startswith("//"):
        return fallback
    return target


def mask_number(number: str | None) -> str:
    """A phone number as the current user may see it: viewers see only its last digits."""
    if not number:
        return "—"
    if current_user.is_authenticated and current_user.is_supervisor:
        return number
    return masked(number)


def mask_numbers_in(text: str | None) -> str:
    """Free text as the current user may read it: viewers see every number in it masked."""
    if not text:
        return text or ""
    if current_user.is_authenticated and current_user.is_supervisor:
        return text
    return masked_in_text(text)

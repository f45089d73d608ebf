"""Console accounts: users with hashed passwords, the log-in lock-out, the audit log.

Passwords are hashed with werkzeug's default (scrypt). A log-in is refused
while the account or the address it comes from has failed
``MAX_FAILURES_PER_ACCOUNT`` / ``MAX_FAILURES_PER_ADDRESS`` times within
``LOCKOUT``; the refusal is the same whether the password is right or not,
so a locked account cannot be guessed at.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from hours.clock import require_aware
from ivr.storage.models import ROLES, SUPERVISOR, AuditEntry, ConsoleUser, LoginFailure

LOCKOUT = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
MIN_PASSWORD_LENGTH = 10

# Checked against when the name is unknown, so an unknown name takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password of anyone")


class AccountError(ValueError):
    """A user cannot be created as asked (the message says why, in pt-BR)."""


class LockedOut(Exception):
    """Too many failed log-ins for this account or from this address: wait."""


def add_user(session: Session, name: str, password: str, role: str, now: datetime) -> ConsoleUser:
    name = name.strip()
    if not name or len(name) > 100:
        raise AccountError("o nome deve ter de 1 a 100 caracteres")
    if role not in ROLES:
        raise AccountError(f"papel desconhecido: {role!r} (use {' ou '.join(ROLES)})")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a senha deve ter pelo menos {MIN_PASSWORD_LENGTH} caracteres")
    if session.scalar(select(ConsoleUser).where(ConsoleUser.name == name)) is not None:
        raise AccountError(f"já existe um usuário chamado {name!r}")
    user = ConsoleUser(
        name=name, password_hash=generate_password_hash(password), role=role, created_at=now
    )
    session.add(user)
    session.flush()
    return user


def has_supervisor(session: Session) -> bool:
    return session.scalar(select(ConsoleUser.id).where(ConsoleUser.role == SUPERVISOR)) is not None


def is_locked(session: Session, name: str, address: str, now: datetime) -> bool:
    since = require_aware(now, "now") - LOCKOUT
    recent = select(func.count()).select_from(LoginFailure).where(LoginFailure.at > since)
    by_name = session.scalar(recent.where(LoginFailure.name == name)) or 0
    by_address = session.scalar(recent.where(LoginFailure.address == address)) or 0
    return by_name >= MAX_FAILURES_PER_ACCOUNT or by_address >= MAX_FAILURES_PER_ADDRESS


def authenticate(
    session: Session, name: str, password: str, address: str, now: datetime
) -> ConsoleUser | None:
    """The user if the password is right; None (and a failure counted) otherwise.

    Raises :class:`LockedOut` before looking at the password while locked.
    The caller commits.
    """
    name = name.strip()[:100]
    if is_locked(session, name, address, now):
        raise LockedOut
    user = session.scalar(select(ConsoleUser).where(ConsoleUser.name == name))
    if user is not None and check_password_hash(user.password_hash, password):
        session.execute(delete(LoginFailure).where(LoginFailure.name == name))
        return user
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
    session.add(LoginFailure(at=now, name=name, address=address[:64]))
    session.flush()
    return None


def audit(
    session: Session,
    actor: str,
    action: str,
    target: str,
    now: datetime,
    before: str | None = None,
    after: str | None = None,
) -> None:
    """Record a change in the caller's transaction, so it is kept exactly when the change is."""
    session.add(
        AuditEntry(at=now, actor=actor, action=action, target=target, before=before, after=after)
    )


def recent_audit(session: Session, limit: int = 100) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))

"""What a caller hears about a ticket, in natural pt-BR.

- ``answer_by``: "Nossa equipe retorna até quinta-feira, 3 de dezembro."
- ``status_phrase``: "Ele está em atendimento pela nossa equipe."
- ``last_update``: "A última atualização foi hoje, às 10h15." / "…em 30 de novembro, às 9h."
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date

from hours.phrases import spoken_time
from tickets_bridge.store import Status

__all__ = ["answer_by", "last_update", "status_phrase"]

LOCALE = "pt_BR"
ZONE = ZoneInfo("America/Sao_Paulo")

STATUS_PHRASES = {
    Status.OPEN: "Ele está aberto, com a nossa equipe.",
    Status.AWAITING_REPLY: "Nossa equipe respondeu e aguarda o seu retorno.",
    Status.CUSTOMER_PENDING: (
        "Ele está com uma pendência do seu lado: veja o que a nossa equipe pediu."
    ),
    Status.CUSTOMER_VALIDATION: (
        "A solução está em validação: aguardamos a sua confirmação de que deu certo."
    ),
    Status.RESOLVED: "Ele já foi resolvido.",
}


@lru_cache(maxsize=64)
def _names(day: date) -> tuple[str, str]:
    """The day's weekday and month in pt-BR (Babel's formatting, once per day: the
    voicemail step says a due date while the caller waits)."""
    return format_date(day, "EEEE", locale=LOCALE), format_date(day, "MMMM", locale=LOCALE)


def _day_month(day: datetime, now: datetime) -> str:
    d = day.date()
    number = "1º" if d.day == 1 else str(d.day)
    text = f"{number} de {_names(d)[1]}"
    if d.year != now.year:
        text += f" de {d.year}"
    return text


def answer_by(due: datetime, now: datetime) -> str:
    """The promise for a first answer by ``due``, said as a date (its São Paulo day)."""
    local, today = due.astimezone(ZONE), now.astimezone(ZONE)
    if local.date() == today.date():
        return f"Nossa equipe retorna ainda hoje, até as {spoken_time(local)}."
    weekday = _names(local.date())[0]
    return f"Nossa equipe retorna até {weekday}, {_day_month(local, today)}."


def status_phrase(status: str) -> str:
    try:
        return STATUS_PHRASES[Status(status)]
    except ValueError:
        return f"A situação dele é: {status}."


def last_update(at: datetime, now: datetime) -> str:
    local, today = at.astimezone(ZONE), now.astimezone(ZONE)
    days = (today.date() - local.date()).days
    hour = spoken_time(local)
    article = "à" if hour.startswith(("0h", "1h")) else "às"
    if days == 0:
        return f"A última atualização foi hoje, {article} {hour}."
    if days == 1:
        return f"A última atualização foi ontem, {article} {hour}."
    return f"A última atualização foi em {_day_month(local, today)}, {article} {hour}."

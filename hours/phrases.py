"""What the caller hears about the hours, in natural pt-BR.

Times are said as people say them ("9h", "13h30", "ao meio-dia" is left as
"12h" on purpose: it is what support pages print), never "09:00"; dates come
from Babel ("segunda-feira", "23 de novembro"), with "amanhã" when the line
reopens the next day and the year only when it differs. For example, on
Friday 20 November 2026 with the shipped schedule:

- ``closed_phrase``: "Hoje é feriado: Dia Nacional de Zumbi e da Consciência
  Negra. Nosso atendimento volta na segunda-feira, 23 de novembro, às 9h."
- at lunch: "Estamos no intervalo de almoço. Voltamos às 13h30."
- ``schedule_sentence``: "Nosso atendimento funciona de segunda a
  sexta-feira, das 9h às 11h45 e das 13h30 às 17h30."
"""

from __future__ import annotations

from datetime import datetime, time

from babel.dates import format_date

from hours.calendar import Reason, Status
from hours.schedule import DAY_SECONDS, Schedule, Shift

__all__ = ["closed_phrase", "schedule_sentence", "spoken_time", "spoken_when"]

LOCALE = "pt_BR"


def spoken_time(value: datetime | time | int) -> str:
    """``9h``, ``13h30``, ``12h``; an int is seconds after midnight (24:00 allowed).

    Seconds round up to the next minute: we never promise an earlier time.
    """
    if isinstance(value, int):
        seconds = value
    else:
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        if value.microsecond:
            seconds += 1
    minutes = -(-seconds // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}" if minutes else f"{hours}h"


def _at(seconds_or_time: datetime | time | int) -> str:
    """``às 9h``, ``à 1h``, ``à meia-noite``."""
    text = spoken_time(seconds_or_time)
    if text in ("0h", "24h"):
        return "à meia-noite"
    if text.startswith(("0h", "1h")):
        return f"à {text}"
    return f"às {text}"


def _day_name(day: datetime) -> str:
    name = format_date(day.date(), "EEEE", locale=LOCALE)
    article = "no" if day.weekday() >= 5 else "na"
    return f"{article} {name}"


def _day_month(day: datetime, now: datetime) -> str:
    d = day.date()
    number = "1º" if d.day == 1 else str(d.day)
    month = format_date(d, "MMMM", locale=LOCALE)
    text = f"{number} de {month}"
    if d.year != now.year:
        text += f" de {d.year}"
    return text


def spoken_when(target: datetime, now: datetime) -> str:
    """When ``target`` is, said from ``now`` (both aware; ``target``'s zone is used).

    ``às 13h30`` (today), ``amanhã, às 9h``, ``na segunda-feira, 23 de novembro, às 9h``.
    """
    local_now = now.astimezone(target.tzinfo)
    days = (target.date() - local_now.date()).days
    at = _at(target.timetz())
    if days <= 0:
        return at
    if days == 1:
        return f"amanhã, {at}"
    return f"{_day_name(target)}, {_day_month(target, local_now)}, {at}"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def closed_phrase(status: Status) -> str:
    """The sentence for a closed line: why, and when it reopens. Empty when open."""
    if status.open:
        return ""
    back = spoken_when(status.next_open, status.at) if status.next_open is not None else None
    returns = (
        f"Nosso atendimento volta {back}." if back else "No momento, não temos previsão de retorno."
    )
    reason = status.reason
    if reason is Reason.EMERGENCY:
        lead = _sentence(status.detail or "Nosso atendimento está fechado no momento")
        return f"{lead} {returns}"
    if reason is Reason.CLOSURE:
        we_return = f"Voltamos {back}." if back else returns
        # said for whole-day and partial-day closures alike
        return f"Não há atendimento neste horário: {_sentence(status.detail or '')} {we_return}"
    if reason is Reason.HOLIDAY:
        return f"Hoje é feriado: {_sentence(status.detail or '')} {returns}"
    if reason is Reason.LUNCH:
        return f"Estamos no intervalo de almoço. Voltamos {back}." if back else returns
    if reason is Reason.BEFORE_HOURS:
        return f"Nosso atendimento começa {back}." if back else returns
    we_return = f"Voltamos {back}." if back else returns
    if reason is Reason.AFTER_HOURS:
        return f"Nosso atendimento de hoje já foi encerrado. {we_return}"
    return f"Hoje não temos atendimento. {we_return}"


# --------------------------------------------------------------------------- the schedule

_DAYS = (
    # (short, full, plural with its article)
    ("segunda", "segunda-feira", "às segundas-feiras"),
    ("terça", "terça-feira", "às terças-feiras"),
    ("quarta", "quarta-feira", "às quartas-feiras"),
    ("quinta", "quinta-feira", "às quintas-feiras"),
    ("sexta", "sexta-feira", "às sextas-feiras"),
    ("sábado", "sábado", "aos sábados"),
    ("domingo", "domingo", "aos domingos"),
)


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " e " + parts[-1]


def _shift_text(shift: Shift) -> str:
    if shift.start == 0 and shift.end == DAY_SECONDS:
        return "24 horas"
    start = "da meia-noite" if shift.start == 0 else f"das {spoken_time(shift.start)}"
    if spoken_time(shift.start).startswith("1h"):
        start = f"da {spoken_time(shift.start)}"
    end = _at(shift.end)
    return f"{start} {end}"


def _days_text(first: int, last: int) -> str:
    if first == last:
        return _DAYS[first][2]
    if last == first + 1:
        return f"{_DAYS[first][2]} e {_DAYS[last][2]}"
    return f"de {_DAYS[first][0]} a {_DAYS[last][1]}"


def schedule_sentence(schedule: Schedule) -> str:
    """ "Nosso atendimento funciona de segunda a sexta-feira, das 9h às 11h45 e das 13h30 às 17h30."

    Consecutive weekdays with the same shifts are grouped. Holidays, closures
    and openings are not described (the closed phrase tells them on the day).
    """
    groups: list[tuple[int, int, tuple[Shift, ...]]] = []
    for day, shifts in enumerate(schedule.week):
        if not shifts:
            continue
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == shifts:
            groups[-1] = (groups[-1][0], day, shifts)
        else:
            groups.append((day, day, shifts))
    if not groups:
        return "Nosso atendimento não tem horário fixo."
    parts = [
        f"{_days_text(first, last)}, {_join([_shift_text(s) for s in shifts])}"
        for first, last, shifts in groups
    ]
    if len(parts) == 1:
        return f"Nosso atendimento funciona {parts[0]}."
    return f"Nosso atendimento funciona {', '.join(parts[:-1])}, e {parts[-1]}."

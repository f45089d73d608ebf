"""What the caller hears about a booked callback, in natural pt-BR.

"Vamos ligar para você na segunda-feira, 30 de novembro, entre 9h e 9h30."
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date

from hours.phrases import spoken_time
from tickets_bridge.protocol import DIGIT_WORDS

LOCALE = "pt_BR"


def spoken_phone(e164: str) -> str:
    """A Brazilian number read digit by digit as people read it out, six as "meia":
    ``+5511987654321`` → ``um um, nove oito sete meia cinco, quatro três dois um``."""
    digits = e164.removeprefix("+55") if e164.startswith("+55") else e164.lstrip("+")
    area, rest = digits[:2], digits[2:]
    middle = len(rest) - 4
    groups = (area, rest[:middle], rest[middle:]) if middle > 0 else (digits,)
    return ", ".join(" ".join(DIGIT_WORDS[int(d)] for d in group) for group in groups if group)


def spoken_slot(start: datetime, end: datetime, now: datetime) -> str:
    """``hoje, entre 14h e 14h30``, ``amanhã, entre 9h e 9h30`` or
    ``na segunda-feira, 30 de novembro, entre 9h e 9h30`` (``start``'s zone)."""
    return _from_today(start, now.astimezone(start.tzinfo), _between(start, end))


def _from_today(start: datetime, local_now: datetime, rest: str) -> str:
    """``rest`` after ``hoje``, ``amanhã`` or ``na segunda-feira, 30 de novembro``."""
    days = (start.date() - local_now.date()).days
    if days <= 0:
        return f"hoje, {rest}"
    if days == 1:
        return f"amanhã, {rest}"
    article = "no" if start.weekday() >= 5 else "na"
    return f"{article} {_day(start, local_now)}, {rest}"


def _between(start: datetime, end: datetime) -> str:
    return f"entre {spoken_time(start)} e {spoken_time(end.astimezone(start.tzinfo))}"


def _day(start: datetime, local_now: datetime) -> str:
    """``segunda-feira, 30 de novembro`` (with the year when it is not this one)."""
    day = start.date()
    weekday = format_date(day, "EEEE", locale=LOCALE)
    number = "1º" if day.day == 1 else str(day.day)
    text = f"{weekday}, {number} de {format_date(day, 'MMMM', locale=LOCALE)}"
    if day.year != local_now.year:
        text += f" de {day.year}"
    return text


def written_slot(start: datetime, end: datetime, now: datetime) -> str:
    """``segunda-feira, 30 de novembro, entre 9h e 9h30``: no "hoje" or "amanhã", since a
    message may be read later (``start``'s zone)."""
    return f"{_day(start, now.astimezone(start.tzinfo))}, {_between(start, end)}"


def spoken_opening(start: datetime, now: datetime) -> str:
    """``hoje, às 13h30``, ``amanhã, às 9h`` or ``na segunda-feira, 30 de novembro, às 9h``."""
    time = spoken_time(start)
    at = f"às {time}" if time not in ("1h", "0h") else time
    return _from_today(start, now.astimezone(start.tzinfo), at)


def confirmation_phrase(start: datetime, end: datetime, now: datetime) -> str:
    """The booking, said back: "Vamos ligar para você na segunda-feira, …, entre 9h e 9h30."."""
    return f"Vamos ligar para você {spoken_slot(start, end, now)}."


def existing_phrase(start: datetime, end: datetime, now: datetime) -> str:
    """A caller who already has a callback on the line hears when it is."""
    return f"Você já tem um retorno marcado: vamos ligar {spoken_slot(start, end, now)}."


def greeting(line_name: str, reason: str | None) -> str:
    """What a customer who picks up hears before being put through to the line's agents."""
    about = f" sobre {reason}" if reason and reason != line_name else ""
    return (
        f"Olá! Aqui é do suporte de {line_name}, retornando a ligação que você pediu{about}. "
        "Aguarde um instante, vamos transferir você para um especialista."
    )


def machine_message(line_name: str, spoken_protocol: str) -> str:
    """The short message left on a voicemail box (answering machine detection)."""
    return (
        f"Olá! Aqui é do suporte de {line_name}, retornando a ligação que você pediu. "
        f"Não conseguimos falar com você agora. O seu protocolo é {spoken_protocol}. "
        "Se preferir, ligue para nós e informe esse número. Obrigado!"
    )

"""What the caller hears about the hours, in natural pt-BR.

Times are said as people say them ("9h", "13h30", "ao meio-dia" is left as
"12h" on purpose: it is what support pages print), never "09:00"; dates come
from Babel ("segunda-feira", "23 de novembro"), with "amanhã" when the line
reopens the next day and the year only when it differs. For example, on
Friday 20 November 2026 with the shipped schedule:

- ``closed_phrase``: "Hoje é feriado da Consciência Negra. Nosso atendimento
  volta na segunda-feira, 23 de novembro, às 9h."
- at lunch: "Estamos no intervalo de almoço. Voltamos às 13h30."
- a closure that shortens the day, on 24 December at 14h: "Hoje, véspera de
  Natal, nosso atendimento foi só até o meio-dia. Voltamos na segunda-feira,
  28 de dezembro, às 9h."; at 7h that morning: "Nosso atendimento começa às
  9h. Hoje, véspera de Natal, vamos atender só até o meio-dia."
- a whole-day closure: "Hoje não temos atendimento por causa das férias
  coletivas. Voltamos …"
- ``schedule_sentence``: "Nosso atendimento funciona de segunda a
  sexta-feira, das 9h às 11h45 e das 13h30 às 17h30."
"""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache

import holidays as holidays_lib
from babel.dates import format_date

from hours.calendar import Reason, Status
from hours.schedule import DAY_SECONDS, Schedule, Shift

__all__ = [
    "HOLIDAY_NAMES",
    "closed_phrase",
    "holiday_sentence",
    "schedule_sentence",
    "spoken_time",
    "spoken_when",
]

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


# What "Hoje é feriado ..." says for each name the ``holidays`` package gives
# Brazil, São Paulo state and São Paulo city (pt_BR), public and optional: the
# name as people say it, with its article. Days that are not holidays but
# "pontos facultativos" get a sentence of their own instead.
_HOLIDAYS = {
    "Confraternização Universal": "de Ano-Novo",
    "Carnaval": "de Carnaval",
    "Sexta-feira Santa": "da Sexta-feira Santa",
    "Tiradentes": "de Tiradentes",
    "Dia do Trabalhador": "do Dia do Trabalhador",
    "Corpus Christi": "de Corpus Christi",
    "Revolução Constitucionalista": "da Revolução Constitucionalista",
    "Independência do Brasil": "da Independência",
    "Nossa Senhora Aparecida": "de Nossa Senhora Aparecida",
    "Finados": "de Finados",
    "Proclamação da República": "da Proclamação da República",
    "Dia Nacional de Zumbi e da Consciência Negra": "da Consciência Negra",
    "Consciência Negra": "da Consciência Negra",
    "Natal": "de Natal",
    "Aniversário da Cidade de São Paulo": "do aniversário de São Paulo",
}
_OBSERVANCES = {
    "Quarta-feira de Cinzas": "Hoje, Quarta-feira de Cinzas, não temos atendimento.",
    "Dia do Servidor Público": "Hoje, Dia do Servidor Público, não temos atendimento.",
    "Véspera de Natal": "Hoje, véspera de Natal, não temos atendimento.",
    "Véspera de Ano-Novo": "Hoje, véspera de Ano-Novo, não temos atendimento.",
}
HOLIDAY_NAMES = frozenset(_HOLIDAYS) | frozenset(_OBSERVANCES)


def holiday_sentence(names: str) -> str:
    """ "Hoje é feriado de Natal." for the calendar's holiday names (several joined by "; ")."""
    parts = [name.strip() for name in names.split(";") if name.strip()]
    for name in parts:
        if name in _OBSERVANCES and not any(p in _HOLIDAYS for p in parts):
            return _OBSERVANCES[name]
    said = [_HOLIDAYS.get(name, f"de {name}") for name in parts if name not in _OBSERVANCES]
    if not said:
        return "Hoje é feriado."
    return f"Hoje é feriado {_join(said)}."


# Closure reasons are free text ("Véspera de Natal", "Férias coletivas",
# "Inventário anual"). Said after "por causa de", they need their article;
# a reason may give it ("o inventário"), else it is told from the ending.
_ARTICLES = {"o": "do", "a": "da", "os": "dos", "as": "das"}
_KEEP_CAPITAL = {"Natal", "Carnaval", "Corpus", "Nossa", "São", "Santa", "Santo", "Páscoa"}
_MASCULINE = {"dia", "dias", "problema", "problemas", "sistema", "sistemas", "programa", "avião"}
_FEMININE_E = {"greve", "tarde", "noite", "ponte", "parte", "rede", "sede", "enchente", "virada"}


def _lower_first(text: str) -> str:
    word = text.split(" ", 1)[0]
    if word in _KEEP_CAPITAL or word.isupper() or not word[:1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _of(reason: str) -> str:
    """ "do aniversário de São Paulo", "das férias coletivas", "da véspera de Natal"."""
    text = _lower_first(_sentence(reason)[:-1])
    first, _, rest = text.partition(" ")
    if first.lower() in _ARTICLES and rest:
        return f"{_ARTICLES[first.lower()]} {rest}"
    word = first.lower()
    plural = word.endswith("s") and word not in {"mês", "país", "gás", "ônibus", "vírus"}
    singular = word[:-1] if plural else word
    if singular.endswith("õe"):
        singular = singular[:-2] + "ão"
    feminine = word not in _MASCULINE and (
        singular.endswith(("a", "ção", "são", "ião", "dade", "gem", "ie", "ice", "ura"))
        or singular in _FEMININE_E
    )
    article = ("da" if feminine else "do") + ("s" if plural else "")
    return f"{article} {text}"


def _names_the_day(reason: str, status: Status) -> bool:
    """A closure named after its day ("Véspera de Natal" on 24 December) is said as
    the day's name; any other reason is said as a cause."""
    return reason.strip().rstrip(".") in _days_named(status.at.date())


def _days_named(day: date) -> set[str]:
    table = _observances(day.year)
    return {name.strip() for name in table.get(day, "").split(";")}


@lru_cache(maxsize=16)
def _observances(year: int) -> dict[date, str]:
    table = holidays_lib.country_holidays(
        "BR", years=year, language=LOCALE, categories=("public", "optional")
    )
    return dict(table)


def _closure_lead(reason: str, status: Status) -> str:
    """ "Hoje, véspera de Natal," or "Hoje, por causa da reunião geral,"."""
    if _names_the_day(reason, status):
        return f"Hoje, {_lower_first(reason.strip().rstrip('.'))},"
    return f"Hoje, por causa {_of(reason)},"


def _closure_phrase(status: Status, reason: str, we_return: str) -> str:
    """The closed phrase on a day a schedule closure cut short (or took whole)."""
    at = status.at
    earlier = [end for _start, end in status.today if end <= at]
    later_today = status.next_open is not None and status.next_open.date() == at.date()
    lead = _closure_lead(reason, status)
    if not status.today or (not earlier and not later_today):
        if _names_the_day(reason, status):
            return f"{lead} não temos atendimento. {we_return}"
        return f"Hoje não temos atendimento por causa {_of(reason)}. {we_return}"
    if earlier and not later_today:
        return f"{lead} nosso atendimento foi só {_until(earlier[-1], status)}. {we_return}"
    if not earlier:
        return f"{lead} nosso atendimento começa só {_at(status.next_open)}."  # type: ignore[arg-type]
    return f"{lead} estamos sem atendimento agora. {we_return}"


def _until(end: datetime, status: Status) -> str:
    """ "até as 11h45", "até o meio-dia", "até a meia-noite", "até a 1h"."""
    text = spoken_time(end.astimezone(status.at.tzinfo))
    if text == "12h":
        return "até o meio-dia"
    if text in ("0h", "24h"):
        return "até a meia-noite"
    return f"até {'a' if text.startswith(('0h', '1h')) else 'as'} {text}"


def _last_today(status: Status) -> datetime | None:
    return status.today[-1][1] if status.today else None


def closed_phrase(status: Status) -> str:
    """The sentence for a closed line: why, and when it reopens. Empty when open."""
    if status.open:
        return ""
    back = spoken_when(status.next_open, status.at) if status.next_open is not None else None
    returns = (
        f"Nosso atendimento volta {back}." if back else "No momento, não temos previsão de retorno."
    )
    we_return = f"Voltamos {back}." if back else returns
    reason = status.reason
    if reason is Reason.EMERGENCY:
        lead = _sentence(status.detail or "Nosso atendimento está fechado no momento")
        return f"{lead} {returns}"
    if reason is Reason.CLOSURE:
        return _closure_phrase(status, status.detail or "", we_return)
    if reason is Reason.HOLIDAY:
        return f"{holiday_sentence(status.detail or '')} {returns}"
    cut = status.day_closure
    if reason is Reason.LUNCH:
        return f"Estamos no intervalo de almoço. Voltamos {back}." if back else returns
    if reason is Reason.BEFORE_HOURS:
        starts = f"Nosso atendimento começa {back}." if back else returns
        last = _last_today(status)
        if cut is not None and last is not None:
            return f"{starts} {_closure_lead(cut, status)} vamos atender só {_until(last, status)}."
        return starts
    if reason is Reason.AFTER_HOURS:
        if cut is not None and status.today:
            return _closure_phrase(status, cut, we_return)
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

"""Spoken prompt templates: parsed once when a menu loads, filled in per step.

A prompt is pt-BR text that may name variables in braces; ``{{`` and ``}}``
stand for literal braces. The variables are:

- ``{linha}``: spoken name of the product line chosen so far ("" if none);
- ``{numero}``: the caller's number read digit by digit ("1 1, 9 8 7 6 5, 4 3 2 1");
- ``{aviso_horario}``: the calendar's sentence on why the line is closed and
  when it reopens (``HoursOracle.closed_phrase``).
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

VARIABLES: frozenset[str] = frozenset({"linha", "numero", "aviso_horario"})

_FORMATTER = string.Formatter()


@dataclass(frozen=True, slots=True)
class Prompt:
    """A prompt split at load time into literal text and variable names.

    ``parts`` alternates literal, variable, literal, …: even indexes are
    literal text, odd indexes are variable names.
    """

    source: str
    parts: tuple[str, ...]

    @property
    def variables(self) -> tuple[str, ...]:
        return self.parts[1::2]

    def render(self, value_of: Callable[[str], str]) -> str:
        """The text to speak, asking ``value_of`` for each variable used."""
        parts = self.parts
        if len(parts) == 1:
            return parts[0]
        return "".join(part if i % 2 == 0 else value_of(part) for i, part in enumerate(parts))


def parse_prompt(value: object) -> Prompt:
    """Validate and split a prompt; raises ValueError with a readable reason."""
    if not isinstance(value, str):
        raise ValueError("o texto falado deve ser texto")
    if not value.strip():
        raise ValueError("texto vazio: quem liga não ouviria nada")
    try:
        pieces = list(_FORMATTER.parse(value))
    except ValueError as exc:
        reason = f"chaves {{ }} malformadas no texto ({exc}); escreva {{{{ para uma chave literal"
        raise ValueError(reason) from exc
    parts: list[str] = []
    literal = ""
    for text, name, spec, conversion in pieces:
        literal += text
        if name is None:
            continue
        if name not in VARIABLES:
            known = ", ".join("{" + v + "}" for v in sorted(VARIABLES))
            shown = "{" + name + "}" if name else "{}"
            raise ValueError(f"variável desconhecida {shown} no texto (conhecidas: {known})")
        if spec or conversion:
            raise ValueError(f"a variável {{{name}}} não aceita formatação nem conversão")
        parts.extend((literal, name))
        literal = ""
    parts.append(literal)
    return Prompt(source=value, parts=tuple(parts))


@lru_cache(maxsize=1024)
def spoken_number(number: str) -> str:
    """A phone number read digit by digit, grouped as it is written nationally.

    ``+5511987654321`` becomes ``"1 1, 9 8 7 6 5, 4 3 2 1"``. Anything that
    does not parse is read as its bare digits; no number gives "".
    """
    digits = "".join(ch for ch in number if ch.isdigit())
    if not digits:
        return ""
    try:
        parsed = phonenumbers.parse(number, "BR")
    except phonenumbers.NumberParseException:
        return " ".join(digits)
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    groups: list[str] = []
    current = ""
    for ch in national:
        if ch.isdigit():
            current += ch
        elif current:
            groups.append(current)
            current = ""
    if current:
        groups.append(current)
    if not groups:
        return " ".join(digits)
    return ", ".join(" ".join(group) for group in groups)

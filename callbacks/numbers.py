"""Which numbers a callback may dial: Brazilian fixed and mobile lines, nothing else.

A caller types a number on the keypad (or a supervisor on the command line);
:func:`callback_number` reads it as a Brazilian number with ``phonenumbers``:

- area code plus 8 digits (fixed) or 9 digits (mobile): ``11987654321``;
- the same after a leading ``0`` or a carrier code (``0 15 11 98765-4321``);
- 8 or 9 digits alone: the caller's own area code is assumed and the result
  says so (``area_code_assumed``), so the IVR can read it back to confirm;
- ``+55…`` in E.164.

Everything else is refused with a :class:`NumberRefused` whose ``reason``
says why, so nothing but an ordinary line can ever be dialed on the
vendor's account (toll fraud): premium rate and shared cost (0300, 0500,
0900, 4004-style numbers), toll-free (0800: no person's line), short codes,
emergency numbers and foreign numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from phonenumbers import PhoneNumberType, shortnumberinfo

__all__ = [
    "CallbackNumber",
    "LineKind",
    "NumberRefused",
    "Refusal",
    "callback_number",
]

REGION = "BR"
COUNTRY_CODE = 55
_DIALABLE = {
    PhoneNumberType.FIXED_LINE: "fixed",
    PhoneNumberType.MOBILE: "mobile",
}
_PREMIUM_TYPES = {
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST,
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.UAN,
    PhoneNumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER,
    PhoneNumberType.PAGER,
    PhoneNumberType.VOICEMAIL,
}
_MAX_DIGITS = 17  # 0 + carrier (2) + area (2) + 9 digits, with room for a stray 00


class LineKind(StrEnum):
    FIXED = "fixed"
    MOBILE = "mobile"


class Refusal(StrEnum):
    """Why a number cannot be called back (stable names: logs, JSON, tests)."""

    EMPTY = "empty"  # nothing typed
    MALFORMED = "malformed"  # not a Brazilian number: wrong length, unknown area code, symbols
    NO_AREA_CODE = "no_area_code"  # 8 or 9 digits, and no area code of the caller to assume
    FOREIGN = "foreign"  # another country
    EMERGENCY = "emergency"  # 190, 192, 193 …
    SHORT_CODE = "short_code"  # service and carrier short numbers
    PREMIUM = "premium"  # premium rate, shared cost or toll-free: not a person's line


#: What the caller hears for each refusal (the IVR may say its own words instead).
MESSAGES: dict[Refusal, str] = {
    Refusal.EMPTY: "Não recebemos nenhum número.",
    Refusal.MALFORMED: (
        "Esse número não parece válido. Digite o DDD e o número, com 10 ou 11 dígitos."
    ),
    Refusal.NO_AREA_CODE: "Precisamos do DDD. Digite o DDD e o número.",
    Refusal.FOREIGN: "Só podemos retornar para números do Brasil.",
    Refusal.EMERGENCY: "Não podemos retornar para números de emergência.",
    Refusal.SHORT_CODE: "Não podemos retornar para números curtos de serviço.",
    Refusal.PREMIUM: (
        "Não podemos retornar para números 0300, 0500, 0800 ou 0900. "
        "Informe um telefone fixo ou celular."
    ),
}


class NumberRefused(ValueError):
    """The number cannot be called back; ``reason`` says why, ``message`` in pt-BR."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason

    @property
    def message(self) -> str:
        return MESSAGES[self.reason]


@dataclass(frozen=True, slots=True)
class CallbackNumber:
    """A number the dispatcher may dial."""

    e164: str  # "+5511987654321"
    kind: LineKind
    area_code: str  # "11"
    area_code_assumed: bool  # the caller typed no area code: theirs was used

    @property
    def national(self) -> str:
        """The digits as dialed inside Brazil without a prefix: ``"11987654321"``."""
        return self.e164[3:]


def _digits(text: str) -> str | None:
    """The digits of what was typed; None when it holds anything but digits and punctuation."""
    body = text.strip()
    plus = body.startswith("+")
    if plus:
        body = body[1:]
    if any(not (ch.isdigit() or ch in " -().") for ch in body):
        return None
    digits = "".join(ch for ch in body if ch.isdigit())
    if not digits.isascii():
        return None  # "²" and other Unicode digits are no keypad keys
    return ("+" + digits) if plus else digits


def _area_code(number: phonenumbers.PhoneNumber) -> str:
    return str(number.national_number)[:2]


def _caller_area(caller: str | None) -> str | None:
    """The area code of the caller's own number, when it is a Brazilian fixed or mobile line."""
    if not caller:
        return None
    try:
        return callback_number(caller).area_code
    except NumberRefused:
        return None


def _refuse_short(digits: str) -> None:
    if shortnumberinfo.is_emergency_number(digits, REGION):
        raise NumberRefused(Refusal.EMERGENCY)
    raise NumberRefused(Refusal.SHORT_CODE)


def callback_number(typed: str, caller: str | None = None) -> CallbackNumber:
    """The dialable number in ``typed``, or :class:`NumberRefused`.

    ``caller`` is the caller's own number (Twilio's ``From``, E.164, possibly
    ``"anonymous"``): its area code is assumed when ``typed`` has none.
    """
    digits = _digits(typed)
    if digits is None:
        raise NumberRefused(Refusal.MALFORMED)
    if not digits.lstrip("+"):
        raise NumberRefused(Refusal.EMPTY)
    if len(digits) > _MAX_DIGITS:
        raise NumberRefused(Refusal.MALFORMED)
    assumed = False
    if not digits.startswith(("+", "0")) and len(digits) in (8, 9):
        local = phonenumbers.parse(digits, REGION)
        if phonenumbers.number_type(local) in _PREMIUM_TYPES:
            raise NumberRefused(Refusal.PREMIUM)  # 4004-1234: a shared-cost number
        area = _caller_area(caller)
        if area is None:
            raise NumberRefused(Refusal.NO_AREA_CODE)
        digits = area + digits
        assumed = True
    elif not digits.startswith("+") and len(digits) < 8:
        _refuse_short(digits)
    try:
        number = phonenumbers.parse(digits, REGION)
    except phonenumbers.NumberParseException:
        raise NumberRefused(Refusal.MALFORMED) from None
    if number.country_code != COUNTRY_CODE:
        raise NumberRefused(Refusal.FOREIGN)
    if number.italian_leading_zero or number.extension:
        raise NumberRefused(Refusal.MALFORMED)
    national = str(number.national_number)
    if len(national) < 8:
        _refuse_short(national)
    kind = phonenumbers.number_type(number)
    if kind in _PREMIUM_TYPES:
        raise NumberRefused(Refusal.PREMIUM)
    if kind not in _DIALABLE or not phonenumbers.is_valid_number(number):
        raise NumberRefused(Refusal.MALFORMED)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return CallbackNumber(
        e164=e164,
        kind=LineKind(_DIALABLE[kind]),
        area_code=_area_code(number),
        area_code_assumed=assumed,
    )

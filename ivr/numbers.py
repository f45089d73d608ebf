"""Phone numbers as people type them, made E.164 by ``phonenumbers``."""

from __future__ import annotations

import phonenumbers


def e164(text: str, region: str = "BR") -> str:
    """``"(11) 98765-4321"`` → ``"+5511987654321"``; ValueError if it is no valid number."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {text!r}") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"not a valid phone number: {text!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

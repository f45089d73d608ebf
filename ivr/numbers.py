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


MASK = "••••"


def masked(number: str | None) -> str:
    """A caller's number with only its last 4 digits shown (LGPD).

    ``"+5511987654321"`` → ``"+55 •• ••••-4321"``; other countries keep only
    their calling code (``"+1 ••••2671"``). What is no phone number (Twilio's
    ``"anonymous"``, a ``client:`` identity) or too short to hide anything is
    masked whole: the digits shown never tell how long the number is.
    """
    if not number:
        return "—"
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return MASK
    national = str(parsed.national_number)
    if len(national) < 8:  # the last 4 digits would be half of it or more
        return f"+{parsed.country_code} {MASK}"
    last4 = national[-4:]
    if parsed.country_code == 55:
        return f"+55 •• {MASK}-{last4}"
    return f"+{parsed.country_code} {MASK}{last4}"


def masked_keys(keys: str | None) -> str | None:
    """Keys typed on the phone with every digit but the last 4 hidden.

    ``"21987654321#"`` → ``"•••••••4321#"``: what the call log keeps of a
    number keyed at the callback step (the callback keeps the number).
    Menu keys and other short entries are unchanged.
    """
    if not keys:
        return keys
    shown, hidden = 0, []
    for ch in reversed(keys):
        if ch.isdigit():
            shown += 1
            hidden.append(ch if shown <= 4 else "•")
        else:
            hidden.append(ch)
    return "".join(reversed(hidden))


def masked_in_text(text: str, region: str = "BR") -> str:
    """``text`` with every phone number in it masked as :func:`masked` masks one.

    For free text a viewer reads: a caller's message or its transcript ("ligue
    no (11) 98765-4321"), keys typed at the callback step. Numbers are found
    as people write or say them by phonenumbers' matcher, which leaves dates,
    protocol numbers and ids alone.
    """
    pieces, last = [], 0
    for match in phonenumbers.PhoneNumberMatcher(text, region):
        number = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        pieces += [text[last : match.start], masked(number)]
        last = match.end
    return "".join(pieces) + text[last:]

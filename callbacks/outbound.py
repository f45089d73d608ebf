"""The dispatcher's port to the telephone network: place one outbound call.

``ivr.telephony.dialer.TwilioDialer`` implements it with the twilio client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class DialFailed(Exception):
    """The call was not placed; ``permanent`` when retrying cannot help (a refused number)."""

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class OutboundCall:
    to: str  # E.164
    answer_url: str  # asked for TwiML when answered (with AnsweredBy)
    status_url: str  # receives the call's status callbacks


class Dialer(Protocol):
    def dial(self, call: OutboundCall) -> str:
        """Place the call; the network's call id (Twilio's CallSid). Raises DialFailed."""
        ...

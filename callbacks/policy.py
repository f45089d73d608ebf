"""How a product line takes callbacks: slot length and size, retries, concurrency.

Set per line in ``menus.yaml`` (``lines.LINE.callbacks``); the defaults are
what a small support team can answer: 30-minute slots of 4 callbacks, 3
attempts 30 minutes apart, 2 callbacks of a line ringing at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class CallbackPolicy:
    slot_minutes: int = 30
    per_slot: int = 4  # callbacks booked into one slot at most
    max_attempts: int = 3
    retry_minutes: int = 30  # business time is not counted: the retry waits for opening
    max_simultaneous: int = 2  # callbacks of the line dialing or in a call at once

    def __post_init__(self) -> None:
        if not 5 <= self.slot_minutes <= 240:
            raise ValueError("slot_minutes must be between 5 and 240")
        if self.per_slot < 1 or self.max_attempts < 1 or self.max_simultaneous < 1:
            raise ValueError("per_slot, max_attempts and max_simultaneous must be at least 1")
        if self.retry_minutes < 1:
            raise ValueError("retry_minutes must be at least 1")

    @property
    def slot_length(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)

    @property
    def retry_delay(self) -> timedelta:
        return timedelta(minutes=self.retry_minutes)

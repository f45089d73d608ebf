"""What the views need, built once per app by ``ivr.app.create_app``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from hours.clock import Clock
from ivr.settings import Settings
from ivr.storage.menu_versions import VersionCache
from ivr.telephony.queue_wait import WaitAnnouncer
from ivr.telephony.signature import SignatureChecker
from ivr.telephony.voice import CallHandler
from ivr.web.metrics import Metrics


@dataclass
class Services:
    """What the views need, built once per app."""

    settings: Settings
    signatures: SignatureChecker
    calls: CallHandler
    metrics: Metrics
    versions: VersionCache
    call_log: Any
    clock: Clock

    engine: Engine
    wait_announcer: WaitAnnouncer

    @property
    def public_url(self) -> str | None:
        return self.settings.public_url

    def close(self) -> None:
        """Write what the call log still holds and release the database."""
        self.call_log.stop()
        self.engine.dispose()

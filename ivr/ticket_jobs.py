"""The tickets' background jobs, registered on the worker (composition only).

- ``tickets-outbox`` (every 5 s, remote stores only): one pass of the relay,
  ``tickets_bridge.outbox.deliver_due``, through the configured store and
  the transcriber ``IVR_TRANSCRIBER`` names, if any;
- ``tickets-status-rules`` (every 10 min): the built-in store's automatic
  moves (Pendência do Cliente → Validação Cliente → Resolvido), counted in
  the business days of the live menu's calendars;
- ``tickets-transcripts`` (every 15 s, built-in store with a transcriber):
  the new voicemails' transcripts, as private comments.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from tickets_bridge.sql_store import TicketRules, add_transcripts, apply_status_rules
from tickets_bridge.transcription import load_transcriber

if TYPE_CHECKING:
    from ivr.worker import Worker

log = logging.getLogger(__name__)

OUTBOX_SECONDS = 5.0
STATUS_RULES_SECONDS = 600.0
TRANSCRIPTS_SECONDS = 15.0


def _rules_loader(worker: Worker):
    from ivr.menus.loader import load_menu
    from ivr.storage.closures import ClosureCache

    closures = ClosureCache(worker.engine, worker.clock)

    def load(text: str) -> TicketRules:
        menu = load_menu(text, "menus.yaml")
        lines = {name: line.schedule for name, line in menu.lines.items() if line.schedule}
        return TicketRules(hours=menu.hours(closures), line_schedules=lines)

    return load


def register_ticket_jobs(worker: Worker) -> None:
    from sqlalchemy.orm import Session

    from ivr.storage.db import write_engine
    from ivr.storage.menu_versions import NoPublishedVersion, VersionCache

    versions = VersionCache(worker.engine, _rules_loader(worker), refresh_interval=60.0)

    def rules() -> TicketRules:
        return versions.current()[1]

    def status_rules() -> None:
        try:
            current = rules()
        except NoPublishedVersion:
            return
        writer = write_engine(worker.engine)
        with Session(writer) as session, session.begin():
            moves = apply_status_rules(session, current, worker.clock())
        for protocol, before, after in moves:
            log.info("ticket %s: %s -> %s (automatic)", protocol, before, after)

    worker.add_job("tickets-status-rules", status_rules, STATUS_RULES_SECONDS)

    store_name = worker.settings.ticket_store
    transcriber = load_transcriber(worker.settings.transcriber)  # a bad spec fails at start
    if store_name == "sql":  # the built-in store is the tickets' home: nothing to deliver
        if transcriber is not None:
            tried: set[str] = set()

            def transcribe() -> None:
                added = add_transcripts(worker.engine, transcriber, worker.clock(), tried=tried)
                if added:
                    log.info("voicemail transcripts added: %d", len(added))

            worker.add_job("tickets-transcripts", transcribe, TRANSCRIPTS_SECONDS)
        return
    store = None

    def deliver() -> None:
        nonlocal store
        from tickets_bridge.outbox import deliver_due
        from tickets_bridge.stores import make_store

        if store is None:
            store = make_store(store_name, engine=worker.engine, rules=rules(), clock=worker.clock)
        report = deliver_due(worker.engine, store, worker.clock(), transcriber=transcriber)
        if report.delivered or report.dead:
            log.info(
                "tickets delivered: %d, dead letters: %d", len(report.delivered), len(report.dead)
            )

    worker.add_job("tickets-outbox", deliver, OUTBOX_SECONDS)

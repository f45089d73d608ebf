"""The seam for transcribing a voicemail after the call (none by default).

Twilio's ``<Record transcribe>`` only knows English, so a Portuguese
transcriber is plugged in here: ``IVR_TRANSCRIBER`` names an importable
``module:factory`` that returns a :class:`Transcriber`. The outbox relay asks
it just before a ticket with a recording is created in the remote store, so
the transcript reaches the ticket once (the creation is idempotent) and the
webhook never waits for it. A transcriber that fails, or gives up after its
own timeout, costs only the transcript: the ticket is delivered without it.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
from typing import Protocol

from tickets_bridge.store import NewTicket

__all__ = ["Transcriber", "load_transcriber", "with_transcript"]

log = logging.getLogger("ivr.tickets")

HEADING = "Transcrição automática da gravação"


class Transcriber(Protocol):
    def transcribe(self, recording_url: str, language: str = "pt-BR") -> str | None:
        """The recording's text, or None when there is nothing to say.

        Implementations bound their own time (raise on timeout); the relay
        waits for them between two deliveries.
        """
        ...


def load_transcriber(spec: str) -> Transcriber | None:
    """The transcriber ``module:factory`` makes; None for an empty spec."""
    spec = spec.strip()
    if not spec:
        return None
    module_name, sep, factory_name = spec.partition(":")
    if not sep or not module_name or not factory_name:
        raise ValueError(f"IVR_TRANSCRIBER must be 'module:factory', not {spec!r}")
    factory = getattr(importlib.import_module(module_name), factory_name)
    return factory()


def with_transcript(ticket: NewTicket, transcriber: Transcriber | None) -> NewTicket:
    """``ticket`` with its recordings' transcripts appended to the description.

    Any failure of the transcriber is logged (protocol only, never the
    caller's number) and the ticket goes as it was.
    """
    if transcriber is None:
        return ticket
    texts: list[str] = []
    for attachment in ticket.attachments:
        if attachment.kind != "recording":
            continue
        try:
            text = transcriber.transcribe(attachment.url, "pt-BR")
        except Exception as exc:  # never block delivery on a transcript
            log.warning("ticket %s: transcription failed (%s)", ticket.protocol, type(exc).__name__)
            return ticket
        if text and text.strip():
            texts.append(text.strip())
    if not texts:
        return ticket
    description = f"{ticket.description}\n\n{HEADING}:\n" + "\n\n".join(texts)
    return dataclasses.replace(ticket, description=description)

"""The seam for transcribing a voicemail after the call (none by default).

Twilio's ``<Record transcribe>`` only knows English, so a Portuguese
transcriber is plugged in here: ``IVR_TRANSCRIBER`` names an importable
``module:factory`` that returns a :class:`Transcriber`. The webhook never
waits for it:

- for a remote store, the outbox relay asks it just before a ticket with a
  recording is created there, and the transcript joins the description (the
  creation is idempotent, so it arrives once);
- for the built-in store, whose tickets exist as soon as the call ends, a
  worker job asks it shortly after and adds the transcript as a private
  comment (``tickets_bridge.sql_store.add_transcripts``), once.

A transcriber that fails, or gives up after its own timeout, costs only the
transcript: the ticket is delivered, or stays, without it.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
from collections.abc import Iterable
from typing import Protocol

from tickets_bridge.store import NewTicket

__all__ = [
    "Transcriber",
    "load_transcriber",
    "transcript_section",
    "transcripts",
    "with_transcript",
]

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


def transcripts(protocol: str, urls: Iterable[str], transcriber: Transcriber) -> list[str]:
    """The recordings' non-empty transcripts, in order; none when the transcriber failed.

    A failure is logged (protocol only, never the caller's number).
    """
    texts: list[str] = []
    for url in urls:
        try:
            text = transcriber.transcribe(url, "pt-BR")
        except Exception as exc:  # never block a ticket on a transcript
            log.warning("ticket %s: transcription failed (%s)", protocol, type(exc).__name__)
            return []
        if text and text.strip():
            texts.append(text.strip())
    return texts


def transcript_section(texts: list[str]) -> str:
    """The transcripts under their heading, as an agent reads them."""
    return f"{HEADING}:\n" + "\n\n".join(texts)


def with_transcript(ticket: NewTicket, transcriber: Transcriber | None) -> NewTicket:
    """``ticket`` with its recordings' transcripts appended to the description.

    When the transcriber fails the ticket goes as it was.
    """
    if transcriber is None:
        return ticket
    urls = [a.url for a in ticket.attachments if a.kind == "recording"]
    texts = transcripts(ticket.protocol, urls, transcriber)
    if not texts:
        return ticket
    description = f"{ticket.description}\n\n{transcript_section(texts)}"
    return dataclasses.replace(ticket, description=description)

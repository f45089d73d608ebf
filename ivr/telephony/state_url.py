"""The call-state URL codec: the step URL's query string carries the call state."""

from __future__ import annotations

import base64
import binascii
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ivr.menus.actions import DATA_LENGTH, CallState

STEP_PATH = "/voice/step"

_EXPECTS = frozenset(("input", "dial", "record", "enqueue"))
_DATA = re.compile(rf"[a-z0-9]{{0,{DATA_LENGTH}}}")
_NONCE = 12
# Binds a sealed value to its use: it opens nowhere but in a step URL's ``d=``.
_PURPOSE = b"ivr step url data"


class StateCodec:
    """Writes the call state into step URLs and reads it back.

    A node's own data (``d=``) can hold what a caller typed, a phone number
    above all, and URLs end up in access logs and in Twilio's request logs.
    So it travels sealed with AES-GCM under a key derived from the app's
    secret: unreadable, and any change to it is detected.
    """

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("the step URL codec needs IVR_SECRET_KEY")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
            secret.encode()
        )
        self._aead = AESGCM(key)

    def url(self, state: CallState, step: int | str | None = None) -> str:
        """The (relative) URL whose query string carries the call state.

        Twilio resolves it against the URL of the current request and signs the
        absolute form when it calls back, so the state cannot be tampered with.
        The format is ours and compact (``s=VERSION.NODE.ATTEMPT.LINE.EXPECT&k=STEP``,
        then ``&t=TOLD`` once navigation keys have been announced, ``&d=SEALED``
        when a node keeps state of its own): node and line ids are restricted to
        URL-safe characters without dots by the menu schema, and the sealed data
        is URL-safe base64, so nothing needs escaping and parsing is a split.
        """
        k = state.step if step is None else step
        line = state.line or ""
        s = f"{state.version}.{state.node}.{state.attempt}.{line}.{state.expect}"
        url = f"{STEP_PATH}?s={s}&k={k}"
        if state.told:
            url = f"{url}&t={state.told}"
        return f"{url}&d={self.seal(state.data)}" if state.data else url

    def parse(self, query: str) -> CallState:
        """Inverse of :meth:`url`, from the request's raw query string.

        Data that does not open (altered, or sealed under another key) reads
        as none: the node starts its question over instead of failing the call.
        """
        fields = dict(part.partition("=")[::2] for part in query.split("&"))
        version, node, attempt, line, expect = fields["s"].split(".")
        if expect not in _EXPECTS:
            raise ValueError(f"unknown expectation {expect!r}")
        return CallState(
            version=int(version),
            node=node,
            attempt=int(attempt),
            line=line or None,
            step=int(fields.get("k", 0)),
            expect=expect,  # type: ignore[arg-type]
            told=int(fields.get("t", 0)),
            data=self.open(fields.get("d", "")),
        )

    def seal(self, data: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = nonce + self._aead.encrypt(nonce, data.encode(), _PURPOSE)
        return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()

    def open(self, sealed: str) -> str:
        """The data sealed by :meth:`seal`; "" for anything else."""
        if not sealed:
            return ""
        try:
            raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
            data = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], _PURPOSE).decode()
        except (binascii.Error, ValueError, InvalidTag):
            return ""
        return data if _DATA.fullmatch(data) else ""

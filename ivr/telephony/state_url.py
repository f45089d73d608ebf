"""The call-state URL codec: the step URL's query string carries the call state."""

from __future__ import annotations

import re

from ivr.menus.actions import DATA_LENGTH, CallState

STEP_PATH = "/voice/step"


def state_url(state: CallState, step: int | str | None = None) -> str:
    """The (relative) URL whose query string carries the call state.

    Twilio resolves it against the URL of the current request and signs the
    absolute form when it calls back, so the state cannot be tampered with.
    The format is ours and compact (``s=VERSION.NODE.ATTEMPT.LINE.EXPECT&k=STEP``,
    then ``&t=TOLD`` once navigation keys have been announced, ``&d=DATA`` when
    a node keeps state of its own):
    node and line ids are restricted to URL-safe characters without dots by
    the menu schema, so nothing needs escaping and parsing is a split.
    """
    k = state.step if step is None else step
    line = state.line or ""
    url = f"{STEP_PATH}?s={state.version}.{state.node}.{state.attempt}.{line}.{state.expect}&k={k}"
    if state.told:
        url = f"{url}&t={state.told}"
    return f"{url}&d={state.data}" if state.data else url


_EXPECTS = frozenset(("input", "dial", "record", "enqueue"))
_DATA = re.compile(rf"[a-z0-9]{{0,{DATA_LENGTH}}}")


def parse_state(query: str) -> CallState:
    """Inverse of :func:`state_url`, from the request's raw query string."""
    fields = dict(part.partition("=")[::2] for part in query.split("&"))
    version, node, attempt, line, expect = fields["s"].split(".")
    if expect not in _EXPECTS:
        raise ValueError(f"unknown expectation {expect!r}")
    data = fields.get("d", "")
    if not _DATA.fullmatch(data):
        raise ValueError("malformed node data")
    return CallState(
        version=int(version),
        node=node,
        attempt=int(attempt),
        line=line or None,
        step=int(fields.get("k", 0)),
        expect=expect,  # type: ignore[arg-type]
        told=int(fields.get("t", 0)),
        data=data,
    )

"""How a help desk's answer becomes a wait, a retry or a refusal."""

from __future__ import annotations

import httpx
import pytest

from tickets_bridge.adapters.remote_calls import rejected, retry_after


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "17"}, 17.0),
        ({"Retry-After": "0"}, 0.0),
        (
            {
                "Retry-After": "Tue, 01 Dec 2026 21:00:30 GMT",
                "Date": "Tue, 01 Dec 2026 21:00:00 GMT",
            },
            30.0,
        ),
        ({"Retry-After": "Tue, 01 Dec 2026 21:00:30 GMT"}, None),  # no Date to measure from
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_in_seconds(headers, seconds):
    assert retry_after(httpx.Response(429, headers=headers)) == seconds


def test_a_refusal_never_repeats_a_phone_number():
    response = httpx.Response(422, text='{"error":"Phone +55 11 91111-2222 is taken"}')

    message = str(rejected("Zendesk refused the caller's user", response))

    assert "91111" not in message and "422" in message

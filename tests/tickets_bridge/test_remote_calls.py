"""How a help desk's answer becomes a wait, a retry or a refusal."""

from __future__ import annotations

import httpx
import pytest

from tickets_bridge.adapters.remote_calls import rejected, retry_after
from tickets_bridge.stores import make_store


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


@pytest.mark.parametrize(
    ("name", "environ"),
    [
        (
            "zendesk",
            {"ZENDESK_URL": "https://a.zd.com", "ZENDESK_EMAIL": "e", "ZENDESK_API_TOKEN": "t"},
        ),
        ("tomticket", {"TOMTICKET_TOKEN": "t", "TOMTICKET_DEPARTMENT_ID": "d"}),
        ("webhook", {"TICKETS_WEBHOOK_URL": "https://h/t", "TICKETS_WEBHOOK_SECRET": "s"}),
    ],
)
def test_each_remote_store_is_built_from_its_variables(name, environ):
    def build(given):
        # A remote store needs none of the built-in store's parts.
        return make_store(
            name, engine=None, rules=None, clock=lambda: None, environ=given, client=client
        )

    with httpx.Client() as client:
        assert build(environ).info.name == name
        with pytest.raises(ValueError, match="needs"):
            build({})


def test_every_variable_the_adapters_read_is_a_setting():
    from ivr.settings import Settings

    read = {"ZENDESK_URL", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN", "TICKETS_WEBHOOK_URL"}
    read |= {"TICKETS_WEBHOOK_SECRET", "TOMTICKET_URL", "TOMTICKET_TOKEN"}
    read |= {"TOMTICKET_DEPARTMENT_ID", "TOMTICKET_CATEGORY_ID", "TOMTICKET_LINE_DEPARTMENTS"}
    assert read <= set(Settings.variables())

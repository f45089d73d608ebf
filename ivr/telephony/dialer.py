"""Outbound calls through Twilio's Calls API, with the real twilio client.

``TWILIO_API_BASE_URL`` replaces ``client.api.base_url`` (the client builds
every request URL from it), so tests and staging drive the real client
against a stand-in on 127.0.0.1. Answering machine detection is
``DetectMessageEnd``: Twilio asks the answer URL once the greeting of a
voicemail box has ended, with ``AnsweredBy``, so a message left there is
heard whole.

Errors: :class:`DialFailed`, ``permanent`` when Twilio refused the call as
asked (a 4xx: an invalid or blocked number) and retrying cannot help.
"""

from __future__ import annotations

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from callbacks.outbound import DialFailed, OutboundCall

STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]
RING_SECONDS = 30


def rest_client(account_sid: str, auth_token: str, base_url: str | None, timeout: float) -> Client:
    """The twilio REST client, with a timeout and, for a stand-in, another base URL."""
    from twilio.http.http_client import TwilioHttpClient

    client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
    if base_url:
        client.api.base_url = base_url.rstrip("/")
    return client


def is_permanent(exc: TwilioRestException) -> bool:
    """A 4xx other than 429: Twilio refused what was asked, and retrying cannot help."""
    return 400 <= exc.status < 500 and exc.status != 429


def refusal(exc: TwilioRestException) -> str:
    return f"Twilio {exc.status} ({exc.code})"


class TwilioDialer:
    """Places calls from ``from_number`` on the account, through the twilio client."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.client = rest_client(account_sid, auth_token, base_url, timeout)
        self.from_number = from_number

    def dial(self, call: OutboundCall) -> str:
        try:
            created = self.client.calls.create(
                to=call.to,
                from_=self.from_number,
                url=call.answer_url,
                method="POST",
                status_callback=call.status_url,
                status_callback_event=STATUS_EVENTS,
                status_callback_method="POST",
                machine_detection="DetectMessageEnd",
                timeout=RING_SECONDS,
            )
        except TwilioRestException as exc:
            raise DialFailed(refusal(exc), is_permanent(exc)) from None
        except (TwilioException, OSError) as exc:
            raise DialFailed(type(exc).__name__) from None
        except Exception as exc:  # requests' connection errors and timeouts
            raise DialFailed(type(exc).__name__) from None
        if not created.sid:
            raise DialFailed("Twilio answered without a CallSid")
        return created.sid

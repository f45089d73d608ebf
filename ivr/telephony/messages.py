"""SMS through Twilio's Messages API, with the real twilio client.

Like the dialer (``ivr.telephony.dialer``), ``TWILIO_API_BASE_URL``
replaces ``client.api.base_url`` so tests drive the real client against a
stand-in on 127.0.0.1. Errors: ``callbacks.sms.SendFailed``, ``permanent``
for a 4xx other than 429 (a landline, an unreachable or blocked number).
"""

from __future__ import annotations

from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from callbacks.sms import SendFailed


class TwilioMessenger:
    """Sends SMS from ``from_number`` on the account, through the twilio client."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        from twilio.http.http_client import TwilioHttpClient

        self.client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        if base_url:
            self.client.api.base_url = base_url.rstrip("/")
        self.from_number = from_number

    def send(self, to: str, body: str) -> str:
        try:
            message = self.client.messages.create(to=to, from_=self.from_number, body=body)
        except TwilioRestException as exc:
            permanent = 400 <= exc.status < 500 and exc.status != 429
            raise SendFailed(f"Twilio {exc.status} ({exc.code})", permanent) from None
        except Exception as exc:  # connection errors and timeouts: try again later
            raise SendFailed(type(exc).__name__) from None
        if not message.sid:
            raise SendFailed("Twilio answered without a MessageSid")
        return message.sid

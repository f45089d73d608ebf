"""SMS through Twilio's Messages API, with the real twilio client.

Like the dialer (``ivr.telephony.dialer``), ``TWILIO_API_BASE_URL``
replaces ``client.api.base_url`` so tests drive the real client against a
stand-in on 127.0.0.1. Errors: ``callbacks.sms.SendFailed``, ``permanent``
for a 4xx other than 429 (a landline, an unreachable or blocked number).
"""

from __future__ import annotations

from twilio.base.exceptions import TwilioRestException

from callbacks.sms import SendFailed
from ivr.telephony.dialer import is_permanent, refusal, rest_client


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
        self.client = rest_client(account_sid, auth_token, base_url, timeout)
        self.from_number = from_number

    def send(self, to: str, body: str) -> str:
        try:
            message = self.client.messages.create(to=to, from_=self.from_number, body=body)
        except TwilioRestException as exc:
            raise SendFailed(refusal(exc), is_permanent(exc)) from None
        except Exception as exc:  # connection errors and timeouts: try again later
            raise SendFailed(type(exc).__name__) from None
        if not message.sid:
            raise SendFailed("Twilio answered without a MessageSid")
        return message.sid

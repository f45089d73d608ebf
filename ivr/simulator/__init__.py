"""A stand-in for Twilio's side of a call: signed webhooks in, TwiML followed."""

from ivr.simulator.phone import Answer, Exchange, Phone, Transcript
from ivr.simulator.transport import InProcess, Remote

__all__ = ["Answer", "Exchange", "InProcess", "Phone", "Remote", "Transcript"]

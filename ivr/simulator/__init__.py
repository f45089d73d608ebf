"""A stand-in for Twilio's side of a call: signed webhooks in, TwiML followed."""

from ivr.simulator.phone import Answer, Phone, Transcript, Turn
from ivr.simulator.transport import InProcess, Remote

__all__ = ["Answer", "InProcess", "Phone", "Remote", "Transcript", "Turn"]

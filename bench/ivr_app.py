"""The IVR as the benchmark serves it: ``ivr.wsgi:app`` with the clock of bench/clock.py."""

from bench.clock import at_business_hours
from ivr.app import create_app

app = create_app(clock=at_business_hours)

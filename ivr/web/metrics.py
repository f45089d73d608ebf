"""Prometheus metrics of one web process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

ROUTES = ("incoming", "step", "wait", "status", "recorded")


class Metrics:
    """A registry per app, so tests can build many apps in one process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ivr_webhook_requests",
            "Voice webhook requests served, by route.",
            ["route"],
            registry=self.registry,
        )
        # bound once: looking a label up costs more than counting
        self.served = {route: self.requests.labels(route) for route in ROUTES}
        self.rejected = Counter(
            "ivr_webhook_rejected",
            "Webhook requests refused for a missing or wrong Twilio signature.",
            registry=self.registry,
        )
        self.failures = Counter(
            "ivr_webhook_failures",
            "Webhook requests answered with the apology after an internal error.",
            registry=self.registry,
        )
        self.latency = Histogram(
            "ivr_webhook_seconds",
            "Time to answer a voice webhook.",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0),
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

"""The dashboard: today's calls by line and hour, where callers give up, callbacks,
tickets, the share of calls that came in business hours, and each line's
satisfaction (the survey's mean rating, CSAT). The same figures are exposed on
``/metrics`` by :class:`DashboardCollector`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from babel.numbers import format_decimal
from flask import render_template, request
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session

from ivr.storage.dashboard import Figures, day_bounds, figures
from ivr.web.console.blueprint import bp, reading, services
from ivr.web.console.menus import SAO_PAULO

if TYPE_CHECKING:
    from ivr.web.services import Services

PERIODS = {1: "hoje", 7: "últimos 7 dias", 30: "últimos 30 dias"}


def period_figures(db: Session, svc: Services, now: datetime, days: int = 1) -> Figures:
    """Figures from the start of the local day ``days - 1`` days ago until the day's end."""
    start, end = day_bounds(now, SAO_PAULO)
    start = (start - timedelta(days=days - 1)).replace(hour=0)
    _version, release = svc.versions.current()
    lines = release.menu.lines
    hours = release.hours

    def is_open(line: str | None, at: datetime) -> bool:
        product = lines.get(line) if line else None
        return hours.is_open(product.schedule if product else None, at)

    return figures(db, start, end, SAO_PAULO, is_open)


@bp.get("/")
def dashboard():
    days = request.args.get("dias", type=int)
    days = days if days in PERIODS else 1
    svc = services()
    with reading() as db:
        data = period_figures(db, svc, svc.clock(), days)
    _version, release = svc.versions.current()
    names = {k: v.name for k, v in release.menu.lines.items()}
    csat = [
        (names.get(line, line or "sem linha escolhida"), *data.csat(line)) for line in data.ratings
    ]
    return render_template(
        "console/dashboard.html",
        f=data,
        days=days,
        periods=PERIODS,
        names=names,
        top_line=max(data.by_line.values(), default=0),
        top_hour=max(data.by_hour),
        top_node=max(data.gave_up_at.values(), default=0),
        csat=[(name, count, _decimal(mean)) for name, count, mean in csat],
    )


def _decimal(value: float) -> str:
    """A mean rating as a Brazilian supervisor reads it: "4,5"."""
    return format_decimal(value, format="0.0", locale="pt_BR")


class DashboardCollector(Collector):
    """Today's dashboard figures, computed when Prometheus scrapes ``/metrics``."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with Session(self.svc.engine) as db:
                data = period_figures(db, self.svc, self.svc.clock())
        except Exception:  # no menu live, no table yet: the process metrics still answer
            return
        calls = GaugeMetricFamily(
            "ivr_calls_today", "Calls started today (São Paulo), by product line.", labels=["line"]
        )
        for line, count in data.by_line.items():
            calls.add_metric([line or "none"], count)
        yield calls
        gave_up = GaugeMetricFamily(
            "ivr_calls_gave_up_today", "Calls today the caller left, by node.", labels=["node"]
        )
        for node, count in data.gave_up_at.items():
            gave_up.add_metric([node], count)
        yield gave_up
        callbacks = GaugeMetricFamily(
            "ivr_callbacks_booked_today", "Callbacks booked today, by status.", labels=["status"]
        )
        for status, count in data.callbacks.items():
            callbacks.add_metric([status], count)
        yield callbacks
        yield GaugeMetricFamily(
            "ivr_tickets_opened_today", "Tickets opened today.", value=data.tickets_opened
        )
        yield GaugeMetricFamily(
            "ivr_calls_in_business_hours_today",
            "Calls today that came while their line was open.",
            value=data.in_hours,
        )
        ratings = GaugeMetricFamily(
            "ivr_csat_ratings_today",
            "Satisfaction survey ratings given today, by product line and rating (1-5).",
            labels=["line", "rating"],
        )
        for line, counts in data.ratings.items():
            for rating, count in counts.items():
                ratings.add_metric([line or "none", str(rating)], count)
        yield ratings

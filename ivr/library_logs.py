"""The libraries' log records that would carry a caller's number, made safe (LGPD).

Our own log lines never name a number (tests/privacy/test_no_numbers_in_logs.py
runs the product's flows with every logger at DEBUG and looks). Two libraries
would, once an operator turns their loggers up:

- httpx logs every request's URL at INFO, and the help desks' APIs look a
  caller up by phone in the query string (Zendesk's user search, TomTicket's
  ``customer_id``): the line keeps the method, host and path, not the query;
- SQLAlchemy logs every result row at DEBUG, and rows hold numbers: the line
  says a row came, not what it held.

:func:`keep_numbers_out` attaches the filters to those loggers; the
composition roots (``create_app``, ``build_worker``) call it. Idempotent.
"""

from __future__ import annotations

import logging

HTTPX_LOGGER = "httpx"
SQLALCHEMY_ENGINE_LOGGER = "sqlalchemy.engine.Engine"


class UrlWithoutQuery(logging.Filter):
    """httpx's ``HTTP Request: METHOD URL "…"`` with the URL's query string replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 2 and hasattr(args[1], "copy_with"):
            url = args[1]
            shown = str(url.copy_with(query=None)) + ("?…" if url.query else "")
            record.args = (args[0], shown, *args[2:])
        return True


class RowsWithoutValues(logging.Filter):
    """SQLAlchemy's ``Row (…)`` debug lines without the row's values."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("Row "):
            record.msg, record.args = "Row (values not logged: they may hold personal data)", ()
        return True


def keep_numbers_out() -> None:
    """Attach the filters (once) to the loggers whose lines could carry a number."""
    for name, kind in (
        (HTTPX_LOGGER, UrlWithoutQuery),
        (SQLALCHEMY_ENGINE_LOGGER, RowsWithoutValues),
    ):
        logger = logging.getLogger(name)
        if not any(isinstance(f, kind) for f in logger.filters):
            logger.addFilter(kind())

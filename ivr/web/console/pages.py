"""The console's pages, one module per area; importing this registers them all."""

from __future__ import annotations

from ivr.web.console import (  # noqa: F401
    auth,
    callback_pages,
    dashboard,
    home,
    hours,
    menus,
    privacy_pages,
    ticket_pages,
)

"""The console's pages, one module per area; importing this registers them all."""

from __future__ import annotations

from ivr.web.console import auth, home, hours, menus  # noqa: F401

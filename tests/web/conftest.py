"""Names the webhook tests share; the fixtures (``app``, ``client``, ``phone``) are in
tests/conftest.py."""

from tests.conftest import (  # noqa: F401 -- the names the web tests import from here
    AUTH_TOKEN,
    OPEN_INSTANT,
    SAO_PAULO,
    SHIPPED_MENU,
    publish_text,
)

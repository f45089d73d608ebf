"""How the simulated Twilio reaches the app: in-process, or over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import httpx


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: str


class Transport(Protocol):
    base_url: str

    def post(self, path: str, params: dict[str, str], headers: dict[str, str]) -> Reply: ...


class InProcess:
    """Posts through Flask's test client: no server, same WSGI code path.

    Requests are signed for ``base_url``; by default the URL the app checks
    signatures against (``IVR_PUBLIC_URL`` when set), as Twilio would sign.
    """

    def __init__(self, app: Any, base_url: str | None = None) -> None:
        self.client = app.test_client()
        if base_url is None:
            base_url = app.extensions["ivr"].public_url or "http://localhost"
        self.base_url = base_url.rstrip("/")

    def post(self, path: str, params: dict[str, str], headers: dict[str, str]) -> Reply:
        response = self.client.post(path, data=params, headers=headers, base_url=self.base_url)
        return Reply(response.status_code, response.get_data(as_text=True))


class Remote:
    """Posts to a running server, e.g. ``make run``'s on http://127.0.0.1:5000."""

    def __init__(self, base_url: str, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(base_url=self.base_url, timeout=timeout)

    def post(self, path: str, params: dict[str, str], headers: dict[str, str]) -> Reply:
        response = self.client.post(path, data=params, headers=headers)
        return Reply(response.status_code, response.text)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Remote:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

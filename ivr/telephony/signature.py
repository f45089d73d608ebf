"""Twilio request signatures, checked against the URL Twilio actually used."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from twilio.request_validator import RequestValidator


class SignatureChecker:
    """Wraps twilio's ``RequestValidator`` with a cheaper first try.

    ``RequestValidator.validate`` always computes two HMACs (the URL with and
    without its port) and re-parses the URL, and its ``compute_signature``
    walks the form in Python (a set, a sort and a lookup per parameter): on
    the webhooks' hot path that cost more than the HMAC itself. Twilio never
    repeats a parameter, so the first try joins the form in one pass, in the
    order Twilio documents (the URL, then each name and value, sorted by
    name), and has the library sign that string. When it does not match, the
    library's full ``validate`` decides: the shortcut can only ever save work,
    never accept a request the library would refuse.
    """

    def __init__(self, auth_token: str) -> None:
        if not auth_token:
            raise ValueError("an auth token is required to verify Twilio requests")
        self.validator = RequestValidator(auth_token)

    def sign(self, url: str, params: Mapping[str, str]) -> str:
        """The signature Twilio would send for this request (used by the simulator)."""
        return self.validator.compute_signature(url, params)

    def is_valid(self, url: str, params: Mapping[str, str], signature: str) -> bool:
        if not signature:
            return False
        signed = url + "".join([name + params[name] for name in sorted(params)])
        expected = self.validator.compute_signature(signed, {})
        if hmac.compare_digest(expected.encode(), signature.encode()):
            return True
        return self.validator.validate(url, _Params(params), signature)


class _Params:
    """Form parameters in the shape ``RequestValidator`` asks for first.

    It looks values up with ``getall`` and, on a plain dict, falls back
    through two caught AttributeErrors per parameter: answering ``getall``
    directly skips those exceptions. Twilio never repeats a parameter.
    """

    __slots__ = ("_params",)

    def __init__(self, params: Mapping[str, str]) -> None:
        self._params = params

    def __iter__(self):
        return iter(self._params)

    def __bool__(self) -> bool:
        return bool(self._params)

    def getall(self, name: str) -> list[str]:
        return [self._params[name]]

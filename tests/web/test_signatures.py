"""Signatures are checked against the URL Twilio used, also behind a proxy."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from ivr.telephony.signature import SignatureChecker
from tests.web.conftest import AUTH_TOKEN

PUBLIC = "https://ivr.example.com.br"
FORM = {
    "CallSid": "CA" + "7" * 32,
    "AccountSid": "AC" + "0" * 32,
    "From": "+5511987654321",
    "To": "+551130040000",
    "CallStatus": "ringing",
    "Direction": "inbound",
    "ApiVersion": "2010-04-01",
}


def signed_for(url: str) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(url, FORM)}


def post(app, headers: dict[str, str]) -> int:
    return app.test_client().post("/voice/incoming", data=FORM, headers=headers).status_code


def test_public_url_is_what_twilio_signed(make_app):
    app = make_app(public_url=PUBLIC)
    assert post(app, signed_for(f"{PUBLIC}/voice/incoming")) == 200
    # Twilio sometimes signs the URL with the default port spelled out
    assert post(app, signed_for("https://ivr.example.com.br:443/voice/incoming")) == 200
    # a signature made for the internal address is not Twilio's
    assert post(app, signed_for("http://localhost/voice/incoming")) == 403


def test_forwarded_host_is_believed_only_from_trusted_proxies(make_app):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ivr.example.com.br"}
    headers = forwarded | signed_for(f"{PUBLIC}/voice/incoming")
    assert post(make_app(trusted_proxies=1), headers) == 200
    assert post(make_app(trusted_proxies=0), headers) == 403


def test_a_signature_from_another_account_is_refused(make_app):
    app = make_app(public_url=PUBLIC)
    other = RequestValidator("another-accounts-token")
    headers = {"X-Twilio-Signature": other.compute_signature(f"{PUBLIC}/voice/incoming", FORM)}
    assert post(app, headers) == 403


# Any form Twilio could post: single-valued, names and values of any text.
_forms = st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=24), max_size=16)


@given(form=_forms, url=st.sampled_from([PUBLIC + "/voice/step?s=1.a", "http://x:8080/voice/wait"]))
def test_the_checker_accepts_exactly_what_the_library_signs(form, url):
    checker = SignatureChecker(AUTH_TOKEN)
    library = RequestValidator(AUTH_TOKEN)
    full_checks = []
    validate = checker.validator.validate
    checker.validator.validate = lambda *args: full_checks.append(args) or validate(*args)
    assert checker.is_valid(url, form, library.compute_signature(url, form))
    assert full_checks == []  # the one-pass first try matched on its own
    other = RequestValidator("another account's token").compute_signature(url, form)
    assert not checker.is_valid(url, form, other)
    if form:  # a value changed after signing
        name = sorted(form)[0]
        assert not checker.is_valid(url, form | {name: form[name] + "x"}, checker.sign(url, form))

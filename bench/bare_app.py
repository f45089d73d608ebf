"""The yardstick: a bare Flask route answering a constant TwiML string."""

from flask import Flask, Response

TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Gather action="/voice/step?s=1.principal.1..input&amp;k=1" input="dtmf" language="pt-BR" '
    'method="POST" numDigits="1" timeout="5"><Say language="pt-BR" voice="Polly.Camila">'
    "Para falar com um atendente, digite 0.</Say></Gather></Response>"
)

app = Flask(__name__)


@app.post("/voice/<path:_rest>")
def constant(_rest: str) -> Response:
    return Response(TWIML, content_type="text/xml; charset=utf-8")

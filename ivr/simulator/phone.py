"""Plays Twilio's part of a voice call against the app.

It POSTs the form Twilio posts, signed as Twilio signs it, and follows the
TwiML it gets back verb by verb: what a <Say> says is what the caller hears,
a <Gather> takes the next scripted (or typed) answer, a <Dial>/<Enqueue> is
answered by an agent or not, a <Record> records a message (or nothing, when
the caller's answer there is silence or ``#``).

A queue moves: with ``agent_after`` N, the caller starts ``queue_position``
in line and the phone requests the ``<Enqueue waitUrl>`` N times, as
Twilio does each time the previous answer has played, the caller one place
further each time; then an agent answers, talks, and hangs up, and Twilio
requests the ``<Enqueue>`` action (``QueueResult=bridged``): the caller,
still on the line, hears what comes after (the survey). A ``<Leave>`` in a
wait answer (closing time) takes the caller out at once
(``QueueResult=leave``); so does pressing ``queue_key`` at the first wait
answer that listens for a key (the callback that keeps the caller's place).
Nobody answering is a full queue (``QueueResult=queue-full``): Twilio
reports ``leave`` only after our own ``<Leave>``. With ``replay``, every answer the caller gives is
posted twice, as Twilio does when it retries a request; the two answers
must be the same TwiML.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from twilio.request_validator import RequestValidator

from ivr.simulator.transport import Transport

API_VERSION = "2010-04-01"
MAX_REQUESTS = 60  # a call that needs more requests than this is looping
AVERAGE_WAIT = 240  # seconds callers of the simulated queue waited lately (AvgQueueTime)
MUSIC_SECONDS = 30  # how long a <Play> in a wait answer is taken to last


@dataclass(frozen=True, slots=True)
class Answer:
    """What the caller does at one <Gather>: keys, words, or nothing."""

    digits: str | None = None
    speech: str | None = None

    @classmethod
    def parse(cls, token: str) -> Answer:
        """``"2"`` keys, ``"s:segunda via"`` speech, ``"-"`` silence (a timeout)."""
        if token in ("-", "timeout", ""):
            return cls()
        if token.startswith("s:"):
            return cls(speech=token[2:].replace("_", " "))
        return cls(digits=token)

    @property
    def silent(self) -> bool:
        return self.digits is None and self.speech is None


# Asked at each <Gather> and <Record> with what the caller heard so far. At a
# <Record>, silence ("-") or "#" records nothing; anything else, or None (a
# script used up), records a message.
Ask = Callable[[list[str]], "Answer | None"]


@dataclass(slots=True)
class Exchange:
    """One webhook request and its answer: what the caller heard, and did next.

    (A transcript keeps them in ``turns``, the key of `ivr call --json`.)
    """

    url: str
    params: dict[str, str]
    status: int
    twiml: str = ""
    heard: list[str] = field(default_factory=list)
    answer: dict[str, str] | None = None  # what the caller did at its gather or recording
    replayed: bool = False  # posted twice, as Twilio retries: both answers were the same


@dataclass(slots=True)
class Transcript:
    call_sid: str
    turns: list[Exchange] = field(default_factory=list)
    # hangup | transferred | voicemail-recorded | fell-off | http-<status> | loop | replay-differs
    ended: str = ""
    transferred_to: str | None = None

    @property
    def heard(self) -> list[str]:
        return [text for turn in self.turns for text in turn.heard]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"heard": self.heard}


class Phone:
    """One simulated caller and Twilio's machinery around them."""

    def __init__(
        self,
        transport: Transport,
        auth_token: str,
        caller: str = "+5511987654321",
        called: str = "+551130040000",
        account_sid: str = "AC" + "0" * 32,
        agents_answer: bool = True,
        extra_params: dict[str, str] | None = None,
        *,
        queue_position: int = 1,
        agent_after: int = 0,
        replay: bool = False,
        queue_key: str | None = None,
    ) -> None:
        self.transport = transport
        self.validator = RequestValidator(auth_token)
        self.caller = caller
        self.called = called
        self.account_sid = account_sid
        self.agents_answer = agents_answer
        self.extra_params = extra_params or {}
        self.queue_position = max(queue_position, 1)
        self.agent_after = max(agent_after, 0)  # wait announcements before an agent answers
        self.replay = replay
        self.queue_key = queue_key  # pressed while waiting in a queue, once

    def call(
        self,
        answers: Iterable[Answer] | Ask = (),
        call_sid: str | None = None,
        incoming_path: str = "/voice/incoming",
        transcript: Transcript | None = None,
    ) -> Transcript:
        """Place a call; ``answers`` is a script, or a function asked at each gather.

        ``transcript`` (empty) is filled as the call goes, for someone who watches it.
        """
        ask = answers if callable(answers) else _scripted(iter(answers))
        if transcript is None:
            transcript = Transcript(call_sid=call_sid or "CA" + uuid.uuid4().hex)
        path: str | None = incoming_path
        extra: dict[str, str] = {}
        while path is not None:
            if len(transcript.turns) >= MAX_REQUESTS:
                transcript.ended = "loop"
                break
            turn = self._request(transcript, path, extra)
            transcript.turns.append(turn)
            if turn.status != 200:
                transcript.ended = f"http-{turn.status}"
                break
            if self.replay and extra:  # Twilio retries the request that carried an answer
                again = self._request(transcript, path, extra)
                turn.replayed = True
                if (again.status, again.twiml) != (turn.status, turn.twiml):
                    transcript.ended = "replay-differs"
                    break
            path, extra = self._follow(transcript, turn, ask)
        self._post_status(transcript)
        return transcript

    # -- requests ---------------------------------------------------------------

    def base_params(self, call_sid: str, status: str) -> dict[str, str]:
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": call_sid,
            "CallStatus": status,
            "Called": self.called,
            "Caller": self.caller,
            "Direction": "inbound",
            "From": self.caller,
            "FromCountry": "BR",
            "To": self.called,
            "ToCountry": "BR",
        }
        return params | self.extra_params

    def signed_post(self, path: str, params: dict[str, str]) -> tuple[str, int, str]:
        url = urljoin(self.transport.base_url + "/", path)
        headers = {
            "X-Twilio-Signature": self.validator.compute_signature(url, params),
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
            "User-Agent": "TwilioProxy/1.1",
        }
        relative = _relative(url)
        reply = self.transport.post(relative, params, headers)
        return relative, reply.status, reply.body

    def _request(self, transcript: Transcript, path: str, extra: dict[str, str]) -> Exchange:
        status = "ringing" if not transcript.turns else "in-progress"
        params = self.base_params(transcript.call_sid, status) | extra
        relative, code, body = self.signed_post(path, params)
        return Exchange(url=relative, params=params, status=code, twiml=body)

    def _post_status(self, transcript: Transcript) -> None:
        params = self.base_params(transcript.call_sid, "completed")
        params |= {"CallDuration": str(5 * len(transcript.turns)), "SequenceNumber": "3"}
        self.signed_post("/voice/status", params)

    # -- following TwiML ----------------------------------------------------------

    def _follow(
        self, transcript: Transcript, turn: Exchange, ask: Ask
    ) -> tuple[str | None, dict[str, str]]:
        """Walk the verbs; return the next request to make, or None when the call ends."""
        root = ET.fromstring(turn.twiml)
        for verb in root:
            tag = verb.tag
            if tag in ("Say", "Play"):
                turn.heard.append(_spoken(verb))
            elif tag == "Gather":
                for child in verb:
                    if child.tag in ("Say", "Play"):
                        turn.heard.append(_spoken(child))
                answer = ask(turn.heard) or Answer()
                turn.answer = {k: v for k, v in asdict(answer).items() if v is not None}
                if not answer.silent:
                    params = {"Digits": answer.digits} if answer.digits else {}
                    if answer.speech:
                        params = {"SpeechResult": answer.speech, "Confidence": "0.92"}
                    return verb.get("action") or turn.url, params
            elif tag == "Redirect":
                return (verb.text or "").strip(), {}
            elif tag in ("Dial", "Enqueue"):
                return self._connect(transcript, turn, verb)
            elif tag == "Record":
                answer = ask(turn.heard)
                if answer is not None and (answer.silent or answer.digits == "#"):
                    # Nothing recorded: Twilio skips the action and goes on to the next verb.
                    turn.answer = {"digits": "#"} if answer.digits else {}
                    continue
                transcript.ended = "voicemail-recorded"
                turn.answer = {"recording": "12"}
                return verb.get("action") or turn.url, {
                    "RecordingUrl": f"https://api.twilio.com/{API_VERSION}/Accounts/"
                    f"{self.account_sid}/Recordings/RE{uuid.uuid4().hex}",
                    "RecordingDuration": "12",
                    "RecordingSid": "RE" + uuid.uuid4().hex,
                    "Digits": "#",
                }
            elif tag == "Hangup":
                transcript.ended = transcript.ended or "hangup"
                return None, {}
        transcript.ended = transcript.ended or "fell-off"
        return None, {}

    def _connect(
        self, transcript: Transcript, turn: Exchange, verb: ET.Element
    ) -> tuple[str | None, dict[str, str]]:
        if verb.tag == "Enqueue":
            target = f"queue:{(verb.text or '').strip()}"
            turn.heard.append(f"[transferência: {target}]")
            waited, left = self._wait(transcript, verb.get("waitUrl"))
            if left is None:  # a wait answer hung up, or failed
                return None, {}
            answered = self.agents_answer and not left
            result = {
                "QueueResult": "bridged" if answered else ("leave" if left else "queue-full"),
                "QueueTime": str(waited or 30),
            }
        else:
            child = next(iter(verb), None)
            target = ((child.text if child is not None else verb.text) or "").strip()
            turn.heard.append(f"[transferência: {target}]")
            answered = self.agents_answer
            status = "completed" if answered else "no-answer"
            result = {"DialCallStatus": status, "DialCallDuration": "60"}
        if answered:
            transcript.turns[-1].heard.append("[o atendente atende, conversa e desliga]")
            transcript.transferred_to = target
            transcript.ended = "transferred"
        action = verb.get("action")
        return (action, result) if action else (None, {})

    def _wait(self, transcript: Transcript, wait_url: str | None) -> tuple[int, bool | None]:
        """Wait ``agent_after`` rounds in the queue: (seconds waited, left the queue).

        ``left`` is None when a wait answer ended the call (a hang-up, an error).
        """
        position, waited, pressed = self.queue_position, 0, False
        rounds = self.agent_after if wait_url else 0
        for _round in range(rounds):
            params = self.base_params(transcript.call_sid, "in-progress") | {
                "QueueSid": "QU" + "0" * 32,
                "QueuePosition": str(position),
                "QueueTime": str(waited),
                "AvgQueueTime": str(AVERAGE_WAIT),
                "CurrentQueueSize": str(max(self.queue_position, position)),
            }
            relative, code, body = self.signed_post(wait_url or "", params)
            turn = Exchange(url=relative, params=params, status=code, twiml=body)
            transcript.turns.append(turn)
            if code != 200:
                transcript.ended = f"http-{code}"
                return waited, None
            for verb in ET.fromstring(body):
                if verb.tag in ("Say", "Play"):
                    turn.heard.append(_spoken(verb))
                    waited += MUSIC_SECONDS if verb.tag == "Play" else 0
                elif verb.tag == "Pause":
                    waited += int(verb.get("length") or 1)
                elif verb.tag == "Gather":
                    turn.heard.extend(_spoken(c) for c in verb if c.tag in ("Say", "Play"))
                    waited += sum(
                        MUSIC_SECONDS if c.tag == "Play" else int(c.get("length") or 1)
                        for c in verb
                        if c.tag in ("Play", "Pause")
                    )
                    if self.queue_key and not pressed:  # else the caller waits without a key
                        pressed = True
                        turn.answer = {"digits": self.queue_key}
                        keyed = params | {"Digits": self.queue_key}
                        relative, code, body = self.signed_post(verb.get("action") or "", keyed)
                        turn = Exchange(url=relative, params=keyed, status=code, twiml=body)
                        transcript.turns.append(turn)
                        if code != 200:
                            transcript.ended = f"http-{code}"
                            return waited, None
                        if any(v.tag == "Leave" for v in ET.fromstring(body)):
                            turn.heard.append("[sai da fila]")
                            return waited, True
                        break
                elif verb.tag == "Leave":
                    turn.heard.append("[sai da fila]")
                    return waited, True
                elif verb.tag == "Hangup":
                    transcript.ended = "hangup"
                    return waited, None
            position = max(position - 1, 1)
        return waited, False


def _scripted(answers: Iterator[Answer]) -> Ask:
    """A script's answers in order; None once it is used up (silence at a menu,
    a message at a recording)."""
    return lambda _heard: next(answers, None)


def _spoken(verb: ET.Element) -> str:
    if verb.tag == "Play":
        return f"[áudio: {(verb.text or '').strip()}]"
    return (verb.text or "").strip()


def _relative(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")

"""Keeps secrets and members' answers out of the logs, at every level.

``RedactingFilter`` rewrites each record before a handler writes it:

- the bot token (given to ``install``) and Discord-shaped bot tokens;
- interaction and webhook tokens: in REST paths (``/interactions/<id>/<token>``,
  ``/webhooks/<app id>/<token>``), under a ``token`` key of logged payloads, and as the raw
  ``aW50ZXJhY3Rpb246`` ("interaction:") tokens Discord issues;
- what members wrote: the modal text (answers, forms) of recent interactions is
  ``remember``-ed by the client when the interaction arrives, and any occurrence of it in a
  message or traceback is replaced; ``value`` keys of logged payloads are blanked as well;
- discord.py's DEBUG lines that echo request bodies, responses and gateway events show a
  summary (op and event name) instead of the payload.

The filter is installed on the handlers of the root and ``discord`` loggers when the bot starts
(a filter on a logger would not see records propagated from its children), so it covers
whatever configured logging before. It rewrites a record's message in place (arguments merged,
secrets replaced) and caches the redacted traceback in ``exc_text``, which formatters print.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable

REDACTED = "[redacted]"
MIN_SECRET = 8  # shorter typed values ("yes", "n/a") are no secret; redacting them garbles logs
MAX_REMEMBERED = 2048

_TOKEN_PATTERNS = [
    # interaction callbacks and webhook follow-ups carry the token in the path
    (re.compile(r"(/interactions/\d+/)[^/\s'\"?]+"), r"\1" + REDACTED),
    (re.compile(r"(/webhooks/\d+/)[^/\s'\"?]+"), r"\1" + REDACTED),
    # payload dicts and JSON: "token": "...", 'token': '...'
    (re.compile(r"""(['"]token['"]\s*:\s*)(['"])(?:(?!\2).)*\2"""), r"\1'" + REDACTED + "'"),
    # modal text inputs and string options inside logged payloads
    (re.compile(r"""(['"]value['"]\s*:\s*)(['"])(?:\\.|(?!\2).)*\2"""), r"\1'" + REDACTED + "'"),
    # Discord interaction tokens are base64 of "interaction:<id>:..."
    (re.compile(r"aW50ZXJhY3Rpb246[A-Za-z0-9_\-.=]+"), REDACTED),
    # bot tokens: base64 user id, timestamp, HMAC
    (re.compile(r"\b[MNO][A-Za-z\d_-]{23,27}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,40}\b"), REDACTED),
    (re.compile(r"(Authorization['\"]?\s*[:=]\s*['\"]?Bot )[^\s'\"]+"), r"\1" + REDACTED),
]
# discord.py DEBUG lines that log a whole request body, response or gateway event: the
# argument at this index is replaced by a summary
_BODY_ARGS = {
    "%s %s with %s has returned %s": 2,  # discord.http: request body
    "%s %s has received %s": 2,  # discord.http: response body
    "For Shard ID %s: WebSocket Event: %s": 1,  # discord.gateway: every event received
}


def _summary(body: object) -> str:
    if isinstance(body, dict):
        keys = {k: body[k] for k in ("op", "t", "s") if k in body}
        return f"<payload {keys}>" if keys else f"<payload of {len(body)} keys>"
    return "<payload>" if body is not None else "None"


class RedactingFilter(logging.Filter):
    def __init__(self) -> None:
        super().__init__("")
        self._secrets: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._ordered: list[str] | None = None

    def remember(self, values: Iterable[str]) -> None:
        """Redact these strings from now on (the most recent ``MAX_REMEMBERED`` are kept)."""
        with self._lock:
            for value in values:
                value = value.strip()
                if len(value) < MIN_SECRET:
                    continue
                for form in {value, repr(value)[1:-1]}:  # repr: as inside a logged dict
                    self._secrets[form] = None
                    self._secrets.move_to_end(form)
            while len(self._secrets) > MAX_REMEMBERED:
                self._secrets.popitem(last=False)
            self._ordered = None

    def redact(self, text: str) -> str:
        with self._lock:
            if self._ordered is None:  # longest first: a secret inside another goes with it
                self._ordered = sorted(self._secrets, key=len, reverse=True)
            ordered = self._ordered
        for secret in ordered:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for regex, replacement in _TOKEN_PATTERNS:
            text = regex.sub(replacement, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        at = _BODY_ARGS.get(record.msg) if isinstance(record.msg, str) else None
        if at is not None and isinstance(record.args, tuple) and len(record.args) > at:
            args = list(record.args)
            args[at] = _summary(args[at])
            record.args = tuple(args)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the template only
            message = str(record.msg)
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)  # formatters print this cached text
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


FILTER = RedactingFilter()


def label(obj: object) -> str:
    """What a log line may say about an event or view: its type and its numeric ids
    (``session_id=12``), never its texts (an event's repr can hold a member's answers)."""
    ids = []
    for name in getattr(obj, "__dataclass_fields__", {}) or getattr(obj, "__slots__", ()):
        value = getattr(obj, name, None)
        if (name == "id" or name.endswith("_id")) and isinstance(value, int):
            ids.append(f"{name}={value}")
    return f"{type(obj).__name__}({', '.join(ids)})"


def remember(values: Iterable[str]) -> None:
    FILTER.remember(values)


def install(token: str | None = None, *, loggers: Iterable[str] = ("", "discord")) -> None:
    """Add the filter to every handler of these loggers, once each (handler filters see the
    records propagated from child loggers; logger filters would not)."""
    if token:
        FILTER.remember([token])
    for name in loggers:
        for handler in logging.getLogger(name).handlers:
            if FILTER not in handler.filters:
                handler.addFilter(FILTER)

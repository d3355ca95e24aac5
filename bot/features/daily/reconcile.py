"""What to do with a claim a crash left unconfirmed: the post may or may not be in Discord.

The rule (docs/daily.md, "Exactly once a day"):

1. Within ``NONCE_WINDOW`` of the claim, send again with the same nonce. Every post carries a
   nonce derived from its delivery id with ``enforce_nonce``, and Discord answers a repeated
   nonce from the same author within a few minutes with the message it already created, so
   this either creates the post or hands back the one sent before the crash.
2. Later, look for the post in the channel (or DM) among the messages after the claim: the
   bot's message whose Answer button names the delivery. Found: record it.
3. Not found: send it if its local day is still today, else settle the claim as not sent
   (a day that passed entirely while the bot was down is skipped, as for any missed slot).

The window is counted from the claim, which precedes the send, so it is never longer than the
time since the send itself; two minutes is well inside Discord's "few minutes".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from bot.core.daily_schedule import local_date
from bot.features.daily.types import Claim, NotSent, Outcome, Unconfirmed

NONCE_WINDOW = timedelta(minutes=2)
CLOCK_SKEW = timedelta(minutes=1)  # look a little before the claim: Discord's clock is not ours


class Poster(Protocol):
    """Sends daily posts and finds them again (the Discord side, or a test double)."""

    async def __call__(self, claim: Claim) -> Outcome:
        """Send the claim's post with its delivery's nonce."""

    async def find(self, claim: Claim, since: datetime) -> Outcome | None:
        """The claim's post among the messages after ``since``: ``Sent``, a ``SendFailed``
        when the channel cannot be read, or None when it is not there."""


def nonce_for(delivery_id: int) -> str:
    """Discord takes nonces of at most 25 characters: "daily-" and up to 19 digits."""
    return f"daily-{delivery_id}"


async def reconcile(poster: Poster, item: Unconfirmed, now: datetime) -> Outcome:
    claim = item.claim
    if now - item.claimed_at < NONCE_WINDOW:
        return await poster(claim)  # same nonce: Discord returns the first post if it exists
    found = await poster.find(claim, item.claimed_at - CLOCK_SKEW)
    if found is not None:
        return found
    if local_date(now, claim.schedule.zone) == claim.local_date:
        return await poster(claim)
    return NotSent("its day passed while the bot was down, before it was sent")

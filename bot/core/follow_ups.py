"""Which follow-up the interviewer asks after an answer, and the seam for smarter interviewers.

The deterministic rule (the default, and the fallback of any AI interviewer):

- a question without ``follow_ups`` in the bank gets none;
- otherwise the follow-up sharing the most word stems with the missed rubric points (their
  text, ``explain`` and cues, weighted by the point's weight) is asked; ties go to the earlier
  follow-up in the bank;
- with nothing missed (or nothing in common) the first follow-up is asked;
- one phase of a system-design question is different: the follow-ups belong to the whole
  question, so a phase asks one only when it targets that phase's missed points, and never one
  already asked earlier in the same interview (``asked``).

``FollowUpSource`` is the seam: after each submitted answer the interview service asks its
``FollowUpSources`` which source serves this session (``source_for``: the AI interviewer where
it is on for the session, the deterministic picker elsewhere) and asks that source for the
follow-up. An adaptive source bounds its own time and falls back to ``choose_follow_up`` when it
cannot answer, since the candidate waits on it; the ``FollowUp`` it returns says who asked and,
after a fallback, why the AI did not.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, Protocol

import snowballstemmer

from bot.core.questions import Question, RubricPoint
from bot.core.scoring import RubricResult

_STEMMER = snowballstemmer.stemmer("english")
_WORD = re.compile(r"[a-z0-9][a-z0-9'-]*")
_STOP = frozenset(
    """a an and are as at be by can could do does for from has have how i if in into is it its
    of on or so than that the their them then there these they this to was we what when where
    which while who why will with would you your about after before more most not no one only
    other over same some such use used using just also each both between any all""".split()  # noqa: SIM905
)


@lru_cache(maxsize=4096)
def stems(text: str) -> frozenset[str]:
    """The stems of the content words of ``text`` (stop words and words of 1-2 letters left out)."""
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2]
    return frozenset(_STEMMER.stemWords(words))


def point_terms(rp: RubricPoint | None, point: str, explain: str) -> frozenset[str]:
    """The stems a rubric point is about: its text, its explanation and its cues."""
    cues = " ".join(c.removeprefix("+").replace("|", " ") for c in rp.cues) if rp else ""
    return stems(f"{point} {explain} {cues}")


def _rubric(question: Question, phase: str | None) -> tuple[RubricPoint, ...]:
    if phase is None:
        return question.rubric
    found = next((p for p in question.phases if p.name == phase), None)
    return found.rubric if found else question.rubric


def choose_follow_up(
    question: Question,
    phase: str | None,
    result: RubricResult,
    *,
    asked: Collection[str] = (),
) -> str | None:
    """The follow-up to ask after this answer, or ``None`` (rule in the module docstring)."""
    candidates = [f for f in question.follow_ups if f not in asked]
    if not candidates:
        return None
    by_text = {rp.point: rp for rp in _rubric(question, phase)}
    missed = [p for p in result.points if not p.covered]
    best, best_score = candidates[0], 0
    for candidate in candidates:
        words = stems(candidate)
        score = sum(
            p.weight * len(words & point_terms(by_text.get(p.point), p.point, p.explain))
            for p in missed
        )
        if score > best_score:
            best, best_score = candidate, score
    if phase is not None and best_score == 0:
        return None  # nothing this phase missed is what the question's follow-ups ask about
    return best


AskedBy = Literal["ai", "bank"]


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A follow-up to ask: its text, who chose it, and why the AI did not when it was on."""

    text: str
    asked_by: AskedBy = "bank"  # "ai": the model wrote or chose it; "bank": choose_follow_up
    unavailable: str = ""  # the AI was on for the session but failed (the bank's was asked)
    tokens: int = 0  # what the model call cost, for the daily budget


@dataclass(frozen=True, slots=True)
class FollowUpContext:
    """What decides which source serves a session: where it runs and whose it is."""

    session_id: int
    user_id: int
    platform: str
    guild_id: int | None


def already_asked(text: str, asked: Collection[str]) -> bool:
    """Whether ``text`` repeats a follow-up of ``asked`` (case and spacing ignored)."""
    key = " ".join(text.lower().split())
    return any(" ".join(a.lower().split()) == key for a in asked)


class FollowUpSource(Protocol):
    """Who decides the follow-up: the deterministic picker by default, or an AI interviewer.

    ``answer_text`` is the whole answer as submitted; ``result`` its automatic score; ``asked``
    the follow-ups already asked on this question in this interview (never asked again). Return
    the follow-up, or ``None`` for none. Called while the candidate waits: keep it quick and
    never raise for an unavailable model (fall back to ``choose_follow_up``).
    """

    async def follow_up(
        self,
        question: Question,
        phase: str | None,
        answer_text: str,
        result: RubricResult,
        *,
        asked: Collection[str] = (),
    ) -> FollowUp | None: ...


class FollowUpSources(Protocol):
    """Chooses the source for one session (the AI's only where it is on for that session)."""

    async def source_for(self, session: FollowUpContext) -> FollowUpSource: ...


class DeterministicFollowUps:
    """The default ``FollowUpSource``: ``choose_follow_up``, the same answer every time."""

    async def follow_up(
        self,
        question: Question,
        phase: str | None,
        answer_text: str,
        result: RubricResult,
        *,
        asked: Collection[str] = (),
    ) -> FollowUp | None:
        text = choose_follow_up(question, phase, result, asked=asked)
        return None if text is None else FollowUp(text)


DETERMINISTIC = DeterministicFollowUps()


class OnlyDeterministic:
    """The default ``FollowUpSources``: every session gets the deterministic picker."""

    async def source_for(self, session: FollowUpContext) -> FollowUpSource:
        return DETERMINISTIC

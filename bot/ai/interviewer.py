"""The AI interviewer: follow-ups, clarify-phase replies, grounded grading and written feedback.

Every method returns a usable result whatever happens: with the model off (no ``LLM_BASE_URL``)
or failing (timeout, 429, 5xx, server down, malformed output, budget used up) it returns the
deterministic result and says why in ``unavailable``, shown as ``flag``
("AI unavailable: <reason>").
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Literal

from bot.ai import fallback, prompts
from bot.ai.budget import TokenBudget
from bot.ai.client import AIUnavailable, Completion
from bot.ai.grounding import PointDecision, combine, injection, read_verdicts
from bot.ai.parsing import bounded_text, echoes_prompt, json_object, string_list
from bot.core.follow_ups import already_asked
from bot.core.questions import Question
from bot.core.scoring import MAX_SCORED_CHARS, RubricResult

if TYPE_CHECKING:
    from bot.ai.client import ChatClient, Message
    from bot.ai.settings import AISettings

Source = Literal["ai", "fallback"]
FOLLOW_UP_CHARS = 200
CLARIFY_CHARS = 500
FEEDBACK_WORDS, FEEDBACK_CHARS = 80, 600
SESSION_WORDS, SESSION_CHARS = 120, 900


@dataclass(frozen=True, slots=True)
class _Outcome:
    source: Source = "fallback"
    unavailable: str = ""  # why the model was not used although it is configured
    tokens: int = 0

    @property
    def flag(self) -> str:
        return f"AI unavailable: {self.unavailable}" if self.unavailable else ""


@dataclass(frozen=True, slots=True)
class FollowUps(_Outcome):
    questions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ClarifyReply(_Outcome):
    text: str = prompts.NOT_SPECIFIED


@dataclass(frozen=True, slots=True)
class Feedback(_Outcome):
    text: str = ""


@dataclass(frozen=True, slots=True)
class AIGrade(_Outcome):
    """The combined result (same type the scorer returns), the scorer's own, and who decided."""

    result: RubricResult | None = None
    deterministic: RubricResult | None = None
    decisions: tuple[PointDecision, ...] = ()
    ignored: str = ""  # text addressed to the grader, when the AI's verdicts were ignored

    @property
    def changed(self) -> bool:
        return any(d.decided_by == "ai" for d in self.decisions)


def utc_today() -> date:
    return datetime.now(UTC).date()


@dataclass
class AIInterviewer:
    """Holds the client (None when off) and the token budget; safe to share across guilds."""

    client: ChatClient | None = None
    budget: TokenBudget | None = None
    today: Callable[[], date] = utc_today
    off_reason: str = ""  # set when configured but unusable (extra missing, bad settings)
    tokens_used: int = field(default=0, init=False)

    @classmethod
    def from_settings(cls, settings: AISettings, **client_options: float) -> AIInterviewer:
        if not settings.enabled:
            return cls()
        from bot.ai.client import ChatClient

        try:
            client = ChatClient(settings, **client_options)
        except AIUnavailable as exc:
            return cls(off_reason=exc.reason)
        return cls(client, TokenBudget(settings.daily_token_budget))

    @classmethod
    def from_env(cls) -> AIInterviewer:
        """Off unless ``LLM_BASE_URL`` is set; nothing is imported from the extra before that."""
        if not os.environ.get("LLM_BASE_URL", "").strip():
            return cls()
        try:
            from bot.ai.settings import AISettings
        except ImportError:
            return cls(off_reason='the "ai" extra is not installed (pip install ".[ai]")')
        try:
            settings = AISettings()
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            return cls(off_reason=f"invalid LLM_* settings ({_first_error(exc)})")
        return cls.from_settings(settings)

    @property
    def enabled(self) -> bool:
        return self.client is not None

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()

    # --- the calls -----------------------------------------------------------------------------

    async def _ask(
        self, messages: Sequence[Message], *, guild_id: int | None, max_tokens: int, json: bool
    ) -> Completion:
        if self.client is None:
            raise AIUnavailable(self.off_reason or "off")
        day = self.today()
        estimate = sum(len(m["content"]) for m in messages) // 3 + max_tokens
        if self.budget is not None and not self.budget.allows(guild_id, day, estimate):
            raise AIUnavailable("daily token budget used up")
        done = await self.client.complete(messages, max_tokens=max_tokens, json_mode=json)
        spent = done.total_tokens if done.usage_reported else estimate
        if self.budget is not None:
            self.budget.record(guild_id, day, spent)
        self.tokens_used += spent
        # A server that reports no usage is charged the estimate, here and by the callers.
        return done if done.usage_reported else replace(done, total_tokens=spent)

    def _unavailable(self, exc: AIUnavailable) -> str:
        return exc.reason if (self.client is not None or self.off_reason) else ""

    async def follow_ups(
        self,
        question: Question,
        phase: str | None,
        answer: str,
        result: RubricResult,
        *,
        guild_id: int | None = None,
        asked: Sequence[str] = (),
    ) -> FollowUps:
        """One or two short follow-ups aimed at what the answer missed, none of ``asked``."""
        done: Completion | None = None
        try:
            if injection(answer):
                raise AIUnavailable("the answer addresses the grader")
            messages = prompts.follow_up(question, phase, answer, result, asked)
            done = await self._ask(messages, guild_id=guild_id, max_tokens=200, json=True)
            items = string_list(
                json_object(done.text), "follow_ups", limit=2, max_chars=FOLLOW_UP_CHARS
            )
            fresh = tuple(q for q in items if not already_asked(q, asked))
            return FollowUps("ai", "", done.total_tokens, fresh)
        except AIUnavailable as exc:
            picked = fallback.pick_follow_up(question, phase, result, asked)
            spent = done.total_tokens if done else 0
            return FollowUps("fallback", self._unavailable(exc), spent, tuple(picked))

    async def answer_clarifying_question(
        self,
        question: Question,
        history: Sequence[tuple[str, str]],
        candidate_question: str,
        *,
        guild_id: int | None = None,
    ) -> ClarifyReply:
        """The interviewer's reply in the clarify phase, consistent with the scenario."""
        done: Completion | None = None
        try:
            messages = prompts.clarify(question, history, candidate_question)
            done = await self._ask(messages, guild_id=guild_id, max_tokens=160, json=False)
            text = bounded_text(done.text, CLARIFY_CHARS)
            if not text:
                raise AIUnavailable("malformed output: empty reply")
            if echoes_prompt(done.text):
                raise AIUnavailable("malformed output: the reply echoes the prompt")
            return ClarifyReply("ai", "", done.total_tokens, text)
        except AIUnavailable as exc:
            spent = done.total_tokens if done else 0
            text = fallback.scenario_fact(question, candidate_question) or prompts.NOT_SPECIFIED
            return ClarifyReply("fallback", self._unavailable(exc), spent, text)

    async def grade(
        self,
        question: Question,
        phase: str | None,
        answer: str,
        result: RubricResult,
        *,
        guild_id: int | None = None,
    ) -> AIGrade:
        """``result`` (the scorer's, caps included) adjusted by verified per-point verdicts."""
        plain = AIGrade(result=result, deterministic=result)
        if not answer.strip() or not result.points:
            return plain
        if self.client is None:
            return AIGrade("fallback", self.off_reason, 0, result, result)
        text = answer[:MAX_SCORED_CHARS]
        injected = injection(text)
        if injected:  # no model call: its verdicts on this answer would not be followed
            reason = "the answer addresses the grader"
            return AIGrade("fallback", reason, 0, result, result, ignored=injected)
        done: Completion | None = None
        try:
            messages = prompts.grading(question, phase, text)
            budget_tokens = 60 + 90 * len(result.points)
            done = await self._ask(messages, guild_id=guild_id, max_tokens=budget_tokens, json=True)
            verdicts = read_verdicts(json_object(done.text), len(result.points), text)
            if not verdicts:
                raise AIUnavailable("malformed output: no verdict for any rubric point")
        except AIUnavailable as exc:
            spent = done.total_tokens if done else 0
            return AIGrade("fallback", self._unavailable(exc), spent, result, result)
        combined, decisions = combine(result, verdicts)
        return AIGrade("ai", "", done.total_tokens, combined, result, decisions)

    async def feedback(
        self,
        question: Question,
        phase: str | None,
        answer: str,
        result: RubricResult,
        *,
        guild_id: int | None = None,
    ) -> Feedback:
        """A short paragraph on one answer (at most ``FEEDBACK_CHARS`` characters)."""
        done: Completion | None = None
        try:
            if injection(answer):
                raise AIUnavailable("the answer addresses the grader")
            messages = prompts.feedback(question, phase, answer, result, words=FEEDBACK_WORDS)
            done = await self._ask(messages, guild_id=guild_id, max_tokens=200, json=False)
            text = _paragraph(done.text, FEEDBACK_CHARS)
            return Feedback("ai", "", done.total_tokens, text)
        except AIUnavailable as exc:
            spent = done.total_tokens if done else 0
            text = fallback.question_feedback(result, max_chars=FEEDBACK_CHARS)
            return Feedback("fallback", self._unavailable(exc), spent, text)

    async def session_feedback(
        self, items: Sequence[tuple[Question, RubricResult]], *, guild_id: int | None = None
    ) -> Feedback:
        """A short paragraph on the whole session (at most ``SESSION_CHARS`` characters)."""
        done: Completion | None = None
        try:
            if not items:
                raise AIUnavailable("nothing was scored")
            messages = prompts.session_feedback(items, words=SESSION_WORDS)
            done = await self._ask(messages, guild_id=guild_id, max_tokens=300, json=False)
            text = _paragraph(done.text, SESSION_CHARS)
            return Feedback("ai", "", done.total_tokens, text)
        except AIUnavailable as exc:
            spent = done.total_tokens if done else 0
            text = fallback.session_feedback(items, max_chars=SESSION_CHARS)
            reason = "" if not items else self._unavailable(exc)
            return Feedback("fallback", reason, spent, text)


def _paragraph(text: str, max_chars: int) -> str:
    if echoes_prompt(text):
        raise AIUnavailable("malformed output: the reply echoes the prompt")
    out = bounded_text(text, max_chars)
    if len(out) < 20 or out.lstrip().startswith("{"):
        raise AIUnavailable("malformed output: no usable paragraph")
    return out


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ()))
        return f"LLM_{where.upper()}: {first.get('msg', '')}"
    return str(exc).splitlines()[0]

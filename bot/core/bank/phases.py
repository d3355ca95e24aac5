"""System-design phases: an ordered list of 3-8 named, timed stages, each with its own rubric.

Any slug names the phases (unique within the question); the six of ``PHASE_NAMES`` are the
documented template and the default, not a requirement. Their minutes add up to the question's.
"""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, SequenceNode

from bot.core.bank.limits import MINUTES_RANGE, PHASE_NAME_LIMIT, PHASES, PROMPT_LIMIT
from bot.core.bank.lint import prompt_scope
from bot.core.bank.nodes import Context, allowed, fields, items, kind, quote, slug, text
from bot.core.bank.nodes import minutes as read_minutes
from bot.core.bank.rubric import misconceptions, rubric
from bot.core.questions import Misconception, Phase, RubricPoint

PHASE_KEYS = ("name", "minutes", "prompt", "rubric", "misconceptions")
_REQUIRED = ("name", "minutes", "prompt", "rubric")
_PHASE_ALLOWED = allowed(PHASE_KEYS)


def phases(node: Node, question_minutes: int | None, ctx: Context) -> tuple[Phase, ...] | None:
    before = ctx.errors
    question_prompt = ctx.prompt
    built: list[Phase] = []
    seen: dict[str, int] = {}  # name -> line of its first use
    total: int | None = 0  # None once a phase's minutes are unknown: no sum check then
    for item in items(node, "phases", PHASES, "phases", ctx):
        if item.__class__ is not MappingNode:
            ctx.report(item, f"phase must be a mapping, got {kind(item)}")
            total = None
            continue
        got = fields(item, _PHASE_ALLOWED, ctx)
        name = prompt = None
        minutes: int | None = None
        points: tuple[RubricPoint, ...] | None = None
        wrong: tuple[Misconception, ...] | None = ()
        for key in _REQUIRED:
            if key not in got:
                ctx.report(item, f"missing required field '{key}'")
        if (value := got.get("name")) is not None:
            name = slug(value, "phase name", ctx, PHASE_NAME_LIMIT)
            if name is not None:
                if name in seen:
                    ctx.report(value, f"duplicate phase {quote(name)} (first at line {seen[name]})")
                else:
                    seen[name] = value.start_mark.line + 1
        if (value := got.get("minutes")) is not None:
            minutes = read_minutes(value, MINUTES_RANGE, ctx)
        if (value := got.get("prompt")) is not None:
            prompt = text(value, "prompt", ctx, PROMPT_LIMIT)
        # Cues are checked against the question's prompt and this phase's.
        ctx.prompt = prompt_scope(prompt, question_prompt) if prompt else question_prompt
        if (value := got.get("rubric")) is not None:
            points = rubric(value, ctx)
        if (value := got.get("misconceptions")) is not None:
            wrong = misconceptions(value, ctx)
        ctx.prompt = question_prompt
        if minutes is None:
            total = None
        elif total is not None:
            total += minutes
        if (
            name is not None
            and minutes is not None
            and prompt is not None
            and points is not None
            and wrong is not None
        ):
            built.append(Phase(name, minutes, prompt, points, wrong))
    counted = node.__class__ is SequenceNode and PHASES[0] <= len(node.value) <= PHASES[1]
    if counted and total is not None and question_minutes is not None and total != question_minutes:
        ctx.report(
            node,
            f"phase minutes add up to {total}, but the question's 'minutes' is {question_minutes}",
        )
    return tuple(built) if ctx.errors == before else None

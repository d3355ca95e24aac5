"""Rubric rules: cues (with the ``+`` required mark), rubric points, explain and misconceptions."""

from __future__ import annotations

import re

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.core.bank.limits import (
    CAP_RANGE,
    CUE_LIMIT,
    CUES_PER_POINT,
    EXPLAIN_LIMIT,
    MISCONCEPTION_CUES,
    MISCONCEPTION_LIMIT,
    MISCONCEPTIONS,
    POINT_LIMIT,
    RUBRIC_POINTS,
    WEIGHT_RANGE,
)
from bot.core.bank.lint import cue_warnings
from bot.core.bank.nodes import (
    INT,
    STR,
    Context,
    allowed,
    bounded,
    fields,
    item_text,
    items,
    key_node,
    kind,
    quote,
    text,
)
from bot.core.questions import (
    DEFAULT_MISCONCEPTION_CAP,
    REQUIRED_CUE_MARK,
    Misconception,
    RubricPoint,
)

POINT_KEYS = ("point", "cues", "weight", "explain", "misconceptions")
MISCONCEPTION_KEYS = ("text", "cues", "cap")
_POINT_ALLOWED = allowed(POINT_KEYS)
_MISCONCEPTION_ALLOWED = allowed(MISCONCEPTION_KEYS)

# "a||b", "|a", "a|", "a| |b": an alternative that is empty or blank.
_has_empty_alternative = re.compile(r"(?:^|\|)\s*(?:\||$)").search
_WEIGHTS = {str(w): w for w in range(WEIGHT_RANGE[0], WEIGHT_RANGE[1] + 1)}
_MARK = REQUIRED_CUE_MARK


def cue_problem(cue: str, required_allowed: bool) -> str | None:
    """Why a non-blank cue string is invalid, or None."""
    if len(cue) > CUE_LIMIT:
        return f"cue is too long: {len(cue)} characters (limit {CUE_LIMIT})"
    body = cue
    if cue.startswith(_MARK):
        if not required_allowed:
            return (
                f"cue {quote(cue)}: '{_MARK}' (required) has no meaning in a misconception, "
                "whose cues must all match"
            )
        body = cue[1:]
        if not body.strip():
            return f"cue {quote(cue)} is empty after the '{_MARK}' (required) mark"
    if "|" in body and _has_empty_alternative(body):
        return f"cue {quote(cue)} has an empty alternative"
    return None


def cue_list(
    node: Node, bounds: tuple[int, int], ctx: Context, required_allowed: bool = True
) -> tuple[str, ...] | None:
    before = ctx.errors
    cues = []
    checked = []
    for item in items(node, "cues", bounds, "items", ctx):
        cue = item_text(item, "cues", ctx)
        if cue is None:
            continue
        message = cue_problem(cue, required_allowed)
        if message is None:
            cues.append(cue)
            checked.append(item)
        else:
            ctx.report(item, message)
    if ctx.errors != before:
        return None
    cue_warnings(checked, ctx)
    return tuple(cues)


def _quick_point(node: Node, ctx: Context) -> RubricPoint | None:
    """The rubric point if it has the usual, valid shape, else None (no problems reported).

    Rubric points are most of a bank's nodes, so the common case skips the generic helpers;
    anything unusual, valid or not, is decided by `_point`, which reports every problem.
    """
    if node.__class__ is not MappingNode:
        return None
    point: str | None = None
    cue_nodes: list[Node] | None = None
    weight = 0  # 0: not given yet
    explain: str | None = None
    low, high = CUES_PER_POINT
    for k, value_node in node.value:
        key = k.value
        cls = value_node.__class__
        if key == "point" and point is None and cls is ScalarNode and value_node.tag == STR:
            point = value_node.value
            if not point or point.isspace() or len(point) > POINT_LIMIT:
                return None
        elif key == "cues" and cue_nodes is None and cls is SequenceNode:
            cue_nodes = value_node.value
            if not low <= len(cue_nodes) <= high:
                return None
            for item in cue_nodes:
                if item.__class__ is not ScalarNode or item.tag != STR:
                    return None
                cue: str = item.value
                if not cue or cue.isspace() or len(cue) > CUE_LIMIT:
                    return None
                if ("|" in cue or "+" in cue) and cue_problem(cue, True) is not None:
                    return None
        elif key == "explain" and explain is None and cls is ScalarNode and value_node.tag == STR:
            explain = value_node.value
            if not explain or explain.isspace() or len(explain) > EXPLAIN_LIMIT:
                return None
        elif key == "weight" and not weight and cls is ScalarNode and value_node.tag == INT:
            weight = _WEIGHTS.get(value_node.value, 0)
            if not weight:
                return None
        else:  # misconceptions, an unknown or repeated key, an unexpected kind
            return None
    if point is None or cue_nodes is None:
        return None
    cue_warnings(cue_nodes, ctx)
    cues = tuple(item.value for item in cue_nodes)
    return RubricPoint(point=point, cues=cues, weight=weight or 1, explain=explain or "")


def _point(node: Node, ctx: Context) -> RubricPoint | None:
    quick = _quick_point(node, ctx)
    if quick is not None:
        return quick
    if node.__class__ is not MappingNode:
        ctx.report(node, f"rubric point must be a mapping, got {kind(node)}")
        return None
    before = ctx.errors
    found = fields(node, _POINT_ALLOWED, ctx)
    get = found.get
    point = cues = None
    weight: int | None = 1
    explain: str | None = ""
    wrong: tuple[Misconception, ...] | None = ()
    if (value := get("point")) is not None:
        point = text(value, "point", ctx, POINT_LIMIT)
    else:
        ctx.report(node, "missing required field 'point'")
    if (value := get("cues")) is not None:
        cues = cue_list(value, CUES_PER_POINT, ctx)
    else:
        ctx.report(node, "missing required field 'cues'")
    if (value := get("weight")) is not None:
        weight = bounded(value, "weight", WEIGHT_RANGE, ctx)
    if (value := get("explain")) is not None:
        explain = text(value, "explain", ctx, EXPLAIN_LIMIT)
    if (value := get("misconceptions")) is not None:
        wrong = misconceptions(value, ctx, cap_allowed=False)
    if (
        ctx.errors != before
        or point is None
        or cues is None
        or weight is None
        or explain is None
        or wrong is None
    ):
        return None
    return RubricPoint(point=point, cues=cues, weight=weight, explain=explain, misconceptions=wrong)


def rubric(node: Node, ctx: Context) -> tuple[RubricPoint, ...] | None:
    before = ctx.errors
    points = []
    for item in items(node, "rubric", RUBRIC_POINTS, "points", ctx):
        point = _point(item, ctx)
        if point is not None:
            points.append(point)
    return tuple(points) if ctx.errors == before else None


def misconceptions(
    node: Node, ctx: Context, cap_allowed: bool = True
) -> tuple[Misconception, ...] | None:
    """A ``misconceptions`` list: on a question or phase (with ``cap``) or on a rubric point."""
    before = ctx.errors
    found: list[Misconception] = []
    for item in items(node, "misconceptions", MISCONCEPTIONS, "items", ctx):
        if item.__class__ is not MappingNode:
            ctx.report(item, f"misconception must be a mapping, got {kind(item)}")
            continue
        got = fields(item, _MISCONCEPTION_ALLOWED, ctx)
        statement = cues = None
        cap: int | None = DEFAULT_MISCONCEPTION_CAP
        if (value := got.get("text")) is not None:
            statement = text(value, "text", ctx, MISCONCEPTION_LIMIT)
        else:
            ctx.report(item, "missing required field 'text'")
        if (value := got.get("cues")) is not None:
            cues = cue_list(value, MISCONCEPTION_CUES, ctx, required_allowed=False)
        else:
            ctx.report(item, "missing required field 'cues'")
        if (value := got.get("cap")) is not None:
            if cap_allowed:
                cap = bounded(value, "cap", CAP_RANGE, ctx)
            else:
                ctx.report(
                    key_node(item, "cap"),
                    "'cap' is only allowed on a question's or a phase's misconceptions "
                    "(on a rubric point a misconception voids the point)",
                )
        if statement is not None and cues is not None and cap is not None:
            found.append(Misconception(text=statement, cues=cues, cap=cap))
    return tuple(found) if ctx.errors == before else None

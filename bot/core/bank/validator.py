"""Walk composed YAML nodes: validate the question-bank format and build `Question` objects.

Working on nodes (``yaml.compose``) rather than on ``yaml.load`` output keeps the position of
every value, so each problem points at the offending node: the value for a wrong value, the
mapping for a missing key, the key for an unknown key. Every problem is reported; nothing stops
at the first one. The walk is the hot path of loading the bank, so it dispatches on node classes
and tags directly, uses precompiled patterns and frozen lookup tables, and builds each dataclass
once, only when its part of the document is valid.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, MutableMapping
from typing import TypeVar

from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.core.bank.problems import Problem
from bot.core.questions import PHASE_NAMES, Difficulty, Phase, Question, RubricPoint, Track

PROMPT_LIMIT = 1500
ANSWER_LIMIT = 3500
RUBRIC_POINTS = (2, 8)
CUES_PER_POINT = (1, 5)
WEIGHT_RANGE = (1, 5)
HINTS = (1, 3)  # also follow_ups

QUESTION_KEYS = (
    "id",
    "track",
    "topic",
    "difficulty",
    "minutes",
    "tags",
    "prompt",
    "reference_answer",
    "rubric",
    "hints",
    "follow_ups",
    "phases",
    "source",
)
POINT_KEYS = ("point", "cues", "weight")
PHASE_KEYS = ("name", "minutes", "prompt", "rubric")
TOP_KEYS = ("questions",)

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_NULL = "tag:yaml.org,2002:null"
_T = TypeVar("_T")

_KINDS = {
    _STR: "a string",
    _INT: "an integer",
    _NULL: "an empty value",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:timestamp": "a date",
}

_is_slug = re.compile(r"[a-z0-9-]+").fullmatch
# "a||b", "|a", "a|", "a| |b": an alternative that is empty or blank.
_has_empty_alternative = re.compile(r"(?:^|\|)\s*(?:\||$)").search
_TRACKS: Mapping[str, Track] = {t.value: t for t in Track}
_DIFFICULTIES: Mapping[str, Difficulty] = {d.value: d for d in Difficulty}
_PHASE_INDEX: Mapping[str, int] = {name: i for i, name in enumerate(PHASE_NAMES)}
_PHASE_ORDER = ", ".join(PHASE_NAMES)
_SLUG_RULE = "use only a-z, 0-9 and '-'"
# For the rare int spellings the fast path does not handle (0x1f, 1_000, 0o17, 1:30).
_construct_int = SafeConstructor().construct_yaml_int


def _allowed(keys: Iterable[str]) -> tuple[frozenset[str], str]:
    keys = tuple(keys)
    return frozenset(keys), ", ".join(keys)


_QUESTION_ALLOWED = _allowed(QUESTION_KEYS)
_POINT_ALLOWED = _allowed(POINT_KEYS)
_PHASE_ALLOWED = _allowed(PHASE_KEYS)
_TOP_ALLOWED = _allowed(TOP_KEYS)


def kind(node: Node) -> str:
    """What a node holds, for "must be X, got Y" messages."""
    cls = node.__class__
    if cls is ScalarNode:
        return _KINDS.get(node.tag, f"a value tagged {node.tag}")
    return "a list" if cls is SequenceNode else "a mapping"


def quote(value: str, limit: int = 60) -> str:
    """Quote a user value for a one-line message."""
    if len(value) > limit:
        value = value[: limit - 3] + "..."
    return "'" + value.replace("\n", "\\n") + "'"


class Context:
    """Per-file state of the walk: where problems go, and ids seen so far across files."""

    __slots__ = ("file", "file_name", "folder_track", "known_ids", "problems", "qid", "topic")

    def __init__(
        self,
        file: str,
        known_ids: MutableMapping[str, str],
        problems: list[Problem],
        layout: tuple[str, str, str] | None = None,
    ) -> None:
        self.file = file
        self.known_ids = known_ids
        self.problems = problems
        self.qid: str | None = None
        # (folder track, topic from the file name, file name) for bank-layout files only.
        self.folder_track: str | None = layout[0] if layout else None
        self.topic: str | None = layout[1] if layout else None
        self.file_name: str | None = layout[2] if layout else None

    def report(self, node: Node, message: str) -> None:
        mark = node.start_mark
        self.problems.append(Problem(self.file, mark.line + 1, mark.column + 1, self.qid, message))

    def report_at(self, line: int, column: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, column, self.qid, message))


# --- scalars -------------------------------------------------------------------------------


def _text(node: Node, name: str, ctx: Context, limit: int = 0) -> str | None:
    if node.__class__ is ScalarNode:
        tag = node.tag
        if tag == _STR:
            value: str = node.value
            if not value or value.isspace():
                ctx.report(node, f"'{name}' must not be empty")
            elif limit and len(value) > limit:
                ctx.report(node, f"'{name}' is too long: {len(value)} characters (limit {limit})")
            else:
                return value
            return None
        if tag == _NULL:
            ctx.report(node, f"'{name}' must not be empty")
            return None
    ctx.report(node, f"'{name}' must be a string, got {kind(node)}")
    return None


def _int(node: Node, name: str, ctx: Context) -> int | None:
    if node.__class__ is ScalarNode and node.tag == _INT:
        value: str = node.value
        if value.isdigit() and (value[0] != "0" or len(value) == 1):
            return int(value)
        try:
            number: int = _construct_int(node)
        except ValueError:
            ctx.report(node, f"'{name}' must be an integer, got {quote(value)}")
            return None
        return number
    ctx.report(node, f"'{name}' must be an integer, got {kind(node)}")
    return None


def _positive(node: Node, name: str, ctx: Context) -> int | None:
    value = _int(node, name, ctx)
    if value is not None and value <= 0:
        ctx.report(node, f"'{name}' must be a positive integer, got {value}")
        return None
    return value


def _slug(node: Node, name: str, ctx: Context) -> str | None:
    value = _text(node, name, ctx)
    if value is not None and not _is_slug(value):
        ctx.report(node, f"{name} {quote(value)} is not a slug ({_SLUG_RULE})")
        return None
    return value


def _choice(node: Node, name: str, allowed: Mapping[str, _T], ctx: Context) -> _T | None:
    if node.__class__ is ScalarNode and node.tag != _NULL and node.value.strip():
        choice = allowed.get(node.value)
        if choice is None:
            ctx.report(
                node, f"{name} {quote(node.value)} is not allowed (allowed: {', '.join(allowed)})"
            )
        return choice
    _text(node, name, ctx)  # reports "empty" or the wrong type
    return None


# --- collections ---------------------------------------------------------------------------


def _fields(
    node: MappingNode, allowed: tuple[frozenset[str], str], ctx: Context
) -> dict[str, Node]:
    """Map each allowed key to its value node; report unknown and repeated keys."""
    keys, allowed_text = allowed
    fields: dict[str, Node] = {}
    for key_node, value_node in node.value:
        if key_node.__class__ is not ScalarNode:
            ctx.report(key_node, f"keys must be strings, got {kind(key_node)}")
            continue
        key: str = key_node.value
        if key in keys:
            if key in fields:
                first = next(k for k, _ in node.value if k.value == key)
                ctx.report(
                    key_node, f"duplicate key '{key}' (first at line {first.start_mark.line + 1})"
                )
            else:
                fields[key] = value_node
        else:
            ctx.report(key_node, f"unknown key {quote(key)} (allowed: {allowed_text})")
    return fields


def _key_node(node: MappingNode, key: str) -> Node:
    return next(k for k, _ in node.value if k.__class__ is ScalarNode and k.value == key)


def _items(node: Node, name: str, bounds: tuple[int, int], unit: str, ctx: Context) -> list[Node]:
    """The items of a list node, reporting a wrong type or a count outside ``bounds``.

    Only the first ``high`` items of a too-long list are returned for checking: with YAML
    aliases a small upload can repeat a list many times, and the walk must stay linear.
    """
    if node.__class__ is not SequenceNode:
        ctx.report(node, f"'{name}' must be a list, got {kind(node)}")
        return []
    items: list[Node] = node.value
    low, high = bounds
    if not low <= len(items) <= high:
        ctx.report(node, f"'{name}' must have {low}-{high} {unit}, got {len(items)}")
    return items[:high]


def _strings(
    node: Node, name: str, bounds: tuple[int, int], ctx: Context
) -> tuple[str, ...] | None:
    before = len(ctx.problems)
    values = []
    for item in _items(node, name, bounds, "items", ctx):
        if item.__class__ is ScalarNode and item.tag == _STR:  # fast path: a non-blank string
            value: str = item.value
            if value and not value.isspace():
                values.append(value)
                continue
        _item_text(item, name, ctx)  # reports why not
    return tuple(values) if len(ctx.problems) == before else None


def _item_text(node: Node, name: str, ctx: Context) -> str | None:
    if node.__class__ is ScalarNode and node.tag == _STR:
        value: str = node.value
        if value and not value.isspace():
            return value
    if node.__class__ is ScalarNode and node.tag in (_STR, _NULL):
        ctx.report(node, f"'{name}' item must not be empty")
    else:
        ctx.report(node, f"'{name}' item must be a string, got {kind(node)}")
    return None


def _tags(node: Node, ctx: Context) -> tuple[str, ...] | None:
    if node.__class__ is not SequenceNode:
        ctx.report(node, f"'tags' must be a list, got {kind(node)}")
        return None
    before = len(ctx.problems)
    tags = []
    for item in node.value:
        tag = _item_text(item, "tags", ctx)
        if tag is not None:
            if _is_slug(tag):
                tags.append(tag)
            else:
                ctx.report(item, f"tag {quote(tag)} is not a slug ({_SLUG_RULE})")
    return tuple(tags) if len(ctx.problems) == before else None


def _cues(node: Node, ctx: Context) -> tuple[str, ...] | None:
    before = len(ctx.problems)
    cues = []
    for item in _items(node, "cues", CUES_PER_POINT, "items", ctx):
        if item.__class__ is ScalarNode and item.tag == _STR:  # fast path: a well-formed cue
            cue: str = item.value
            if cue and not cue.isspace() and ("|" not in cue or not _has_empty_alternative(cue)):
                cues.append(cue)
                continue
        if _item_text(item, "cues", ctx) is not None:
            ctx.report(item, f"cue {quote(item.value)} has an empty alternative")
    return tuple(cues) if len(ctx.problems) == before else None


_WEIGHTS = {str(w): w for w in range(WEIGHT_RANGE[0], WEIGHT_RANGE[1] + 1)}


def _quick_point(node: Node) -> RubricPoint | None:
    """The rubric point if it has the usual, valid shape, else None (no problems reported).

    Rubric points are most of a bank's nodes, so the common case skips the generic helpers;
    anything unusual, valid or not, is decided by `_point`, which reports every problem.
    """
    if node.__class__ is not MappingNode:
        return None
    point: str | None = None
    cues: list[str] | None = None
    weight = 0  # 0: not given yet
    low, high = CUES_PER_POINT
    for key_node, value_node in node.value:
        key = key_node.value
        cls = value_node.__class__
        if key == "point" and point is None and cls is ScalarNode and value_node.tag == _STR:
            point = value_node.value
            if not point or point.isspace():
                return None
        elif key == "cues" and cues is None and cls is SequenceNode:
            if not low <= len(value_node.value) <= high:
                return None
            cues = []
            for item in value_node.value:
                if item.__class__ is not ScalarNode or item.tag != _STR:
                    return None
                cue: str = item.value
                if not cue or cue.isspace() or ("|" in cue and _has_empty_alternative(cue)):
                    return None
                cues.append(cue)
        elif key == "weight" and not weight and cls is ScalarNode and value_node.tag == _INT:
            weight = _WEIGHTS.get(value_node.value, 0)
            if not weight:
                return None
        else:  # unknown or repeated key, or a value of an unexpected kind
            return None
    if point is None or cues is None:
        return None
    return RubricPoint(point=point, cues=tuple(cues), weight=weight or 1)


def _point(node: Node, ctx: Context) -> RubricPoint | None:
    quick = _quick_point(node)
    if quick is not None:
        return quick
    if node.__class__ is not MappingNode:
        ctx.report(node, f"rubric point must be a mapping, got {kind(node)}")
        return None
    before = len(ctx.problems)
    fields = _fields(node, _POINT_ALLOWED, ctx)
    get = fields.get
    point = cues = None
    weight: int | None = 1
    if (value := get("point")) is not None:
        point = _text(value, "point", ctx)
    else:
        ctx.report(node, "missing required field 'point'")
    if (value := get("cues")) is not None:
        cues = _cues(value, ctx)
    else:
        ctx.report(node, "missing required field 'cues'")
    if (value := get("weight")) is not None:
        weight = _int(value, "weight", ctx)
        low, high = WEIGHT_RANGE
        if weight is not None and not low <= weight <= high:
            ctx.report(value, f"'weight' must be an integer from {low} to {high}, got {weight}")
            weight = None
    if len(ctx.problems) != before or point is None or cues is None or weight is None:
        return None
    return RubricPoint(point=point, cues=cues, weight=weight)


def _rubric(node: Node, ctx: Context) -> tuple[RubricPoint, ...] | None:
    before = len(ctx.problems)
    points = []
    for item in _items(node, "rubric", RUBRIC_POINTS, "points", ctx):
        point = _point(item, ctx)
        if point is not None:
            points.append(point)
    return tuple(points) if len(ctx.problems) == before else None


def _phases(node: Node, question_minutes: int | None, ctx: Context) -> tuple[Phase, ...] | None:
    if node.__class__ is not SequenceNode:
        ctx.report(node, f"'phases' must be a list, got {kind(node)}")
        return None
    if len(node.value) > len(PHASE_NAMES):
        ctx.report(
            node,
            f"'phases' must have {len(PHASE_NAMES)} phases, got {len(node.value)} "
            f"(each once, in order: {_PHASE_ORDER})",
        )
        return None
    before = len(ctx.problems)
    phases: list[Phase] = []
    seen: set[str] = set()
    last = -1
    total: int | None = 0  # None once a phase's minutes are unknown: no sum check then
    for item in node.value:
        if item.__class__ is not MappingNode:
            ctx.report(item, f"phase must be a mapping, got {kind(item)}")
            total = None
            continue
        fields = _fields(item, _PHASE_ALLOWED, ctx)
        name = prompt = None
        minutes: int | None = None
        rubric: tuple[RubricPoint, ...] | None = None
        for key in PHASE_KEYS:
            if key not in fields:
                ctx.report(item, f"missing required field '{key}'")
        if (value := fields.get("name")) is not None and (name := _text(value, "name", ctx)):
            index = _PHASE_INDEX.get(name)
            if index is None:
                ctx.report(
                    value, f"phase name {quote(name)} is not allowed (allowed: {_PHASE_ORDER})"
                )
            elif name in seen:
                ctx.report(value, f"duplicate phase {quote(name)}")
            elif index < last:
                ctx.report(value, f"phase {quote(name)} is out of order (order: {_PHASE_ORDER})")
            else:
                last = index
            seen.add(name)
        if (value := fields.get("minutes")) is not None:
            minutes = _positive(value, "minutes", ctx)
        if (value := fields.get("prompt")) is not None:
            prompt = _text(value, "prompt", ctx, PROMPT_LIMIT)
        if (value := fields.get("rubric")) is not None:
            rubric = _rubric(value, ctx)
        if minutes is None:
            total = None
        elif total is not None:
            total += minutes
        if name is not None and minutes is not None and prompt is not None and rubric is not None:
            phases.append(Phase(name=name, minutes=minutes, prompt=prompt, rubric=rubric))
    missing = [quote(name) for name in PHASE_NAMES if name not in seen]
    if missing:
        ctx.report(
            node, f"'phases' is missing {', '.join(missing)} (required, in order: {_PHASE_ORDER})"
        )
    if total is not None and question_minutes is not None and total != question_minutes:
        ctx.report(
            node,
            f"phase minutes add up to {total}, but the question's 'minutes' is {question_minutes}",
        )
    return tuple(phases) if len(ctx.problems) == before else None


# --- questions -----------------------------------------------------------------------------

_REQUIRED = ("id", "track", "topic", "difficulty", "minutes", "prompt", "reference_answer")


def _peek_id(node: MappingNode) -> str | None:
    """The question's id if it is a valid slug, so problems found before it carry it."""
    for key_node, value_node in node.value:
        if key_node.__class__ is ScalarNode and key_node.value == "id":
            if value_node.__class__ is ScalarNode and value_node.tag == _STR:
                value: str = value_node.value
                return value if _is_slug(value) else None
            return None
    return None


def build_question(node: Node, ctx: Context) -> Question | None:
    """Validate one question entry; the Question if it has no problem at all, else None."""
    if node.__class__ is not MappingNode:
        ctx.qid = None
        ctx.report(node, f"question must be a mapping, got {kind(node)}")
        return None
    ctx.qid = _peek_id(node)
    problems = ctx.problems
    before = len(problems)
    fields = _fields(node, _QUESTION_ALLOWED, ctx)
    get = fields.get
    for key in _REQUIRED:
        if key not in fields:
            ctx.report(node, f"missing required field '{key}'")
    mark = node.start_mark

    qid = None
    if (value := get("id")) is not None and (qid := _slug(value, "id", ctx)) is not None:
        first = ctx.known_ids.get(qid)
        if first is None:
            ctx.known_ids[qid] = f"{ctx.file}:{mark.line + 1}:{mark.column + 1}"
        else:
            ctx.report(value, f"duplicate id '{qid}' (first defined at {first})")

    track = None
    if (value := get("track")) is not None:
        track = _choice(value, "track", _TRACKS, ctx)
        folder = ctx.folder_track
        if track is not None and folder is not None and track != folder:
            ctx.report(value, f"track '{track}' does not match the folder '{folder}'")

    topic = None
    if (value := get("topic")) is not None:
        topic = _slug(value, "topic", ctx)
        expected = ctx.topic
        if topic is not None and expected is not None and topic != expected:
            ctx.report(value, f"topic '{topic}' does not match the file name '{ctx.file_name}'")

    difficulty = None
    if (value := get("difficulty")) is not None:
        difficulty = _choice(value, "difficulty", _DIFFICULTIES, ctx)

    minutes = None
    if (value := get("minutes")) is not None:
        minutes = _positive(value, "minutes", ctx)

    tags: tuple[str, ...] | None = ()
    if (value := get("tags")) is not None:
        tags = _tags(value, ctx)

    prompt = answer = None
    if (value := get("prompt")) is not None:
        prompt = _text(value, "prompt", ctx, PROMPT_LIMIT)
    if (value := get("reference_answer")) is not None:
        answer = _text(value, "reference_answer", ctx, ANSWER_LIMIT)

    # System design scores each phase, so its top-level rubric is optional.
    is_design = track is Track.SYSTEM_DESIGN
    rubric: tuple[RubricPoint, ...] | None = ()
    if (value := get("rubric")) is not None:
        rubric = _rubric(value, ctx)
    elif track is not None and not is_design:
        ctx.report(node, "missing required field 'rubric'")

    hints: tuple[str, ...] | None = ()
    if (value := get("hints")) is not None:
        hints = _strings(value, "hints", HINTS, ctx)
    follow_ups: tuple[str, ...] | None = ()
    if (value := get("follow_ups")) is not None:
        follow_ups = _strings(value, "follow_ups", HINTS, ctx)

    phases: tuple[Phase, ...] | None = ()
    value = get("phases")
    if is_design:
        if value is None:
            ctx.report(node, "missing required field 'phases' (required for system-design)")
        else:
            phases = _phases(value, minutes, ctx)
    elif value is not None and track is not None:
        ctx.report(
            _key_node(node, "phases"), "'phases' is only allowed for system-design questions"
        )

    source = "original"
    if (value := get("source")) is not None:
        source = _text(value, "source", ctx) or source

    if (
        len(problems) != before
        or qid is None
        or track is None
        or topic is None
        or difficulty is None
        or minutes is None
        or prompt is None
        or answer is None
        or rubric is None
        or tags is None
        or hints is None
        or follow_ups is None
        or phases is None
    ):
        return None
    return Question(
        id=qid,
        track=track,
        topic=topic,
        difficulty=difficulty,
        minutes=minutes,
        prompt=prompt,
        reference_answer=answer,
        rubric=rubric,
        tags=tags,
        hints=hints,
        follow_ups=follow_ups,
        phases=phases,
        source=source,
        origin=f"{ctx.file}:{mark.line + 1}",
    )


def build_document(root: Node | None, ctx: Context) -> tuple[list[Question], int]:
    """Validate a whole composed file: the valid questions and how many entries were checked."""
    if root is None:
        ctx.report_at(1, 1, "file is empty (expected a mapping with a 'questions' list)")
        return [], 0
    if root.__class__ is not MappingNode:
        ctx.report(root, f"top level must be a mapping with a 'questions' list, got {kind(root)}")
        return [], 0
    items = _fields(root, _TOP_ALLOWED, ctx).get("questions")
    if items is None:
        ctx.report(root, "missing required key 'questions'")
        return [], 0
    if items.__class__ is not SequenceNode:
        ctx.report(items, f"'questions' must be a list, got {kind(items)}")
        return [], 0
    if not items.value:
        ctx.report(items, "'questions' must contain at least one question")
        return [], 0
    questions = []
    walked: set[int] = set()
    for item in items.value:
        # A YAML alias repeats the very same node: report it once, never walk it twice (a small
        # upload could otherwise repeat a large question thousands of times).
        if id(item) in walked:
            ctx.qid = None
            ctx.report(item, "question repeated with a YAML alias (write each question in full)")
            continue
        walked.add(id(item))
        question = build_question(item, ctx)
        if question is not None:
            questions.append(question)
    ctx.qid = None
    return questions, len(items.value)

"""Walk composed YAML nodes: validate the question-bank format and build `Question` objects.

Working on nodes rather than on loaded Python data keeps the position of every value, so each
problem points at the offending node: the value for a wrong value, the mapping for a missing
key, the key for an unknown key. Every problem is reported; nothing stops at the first one. The
walk is the hot path of loading the bank, so it dispatches on node classes and tags directly and
builds each dataclass once, only when its part of the document is valid.

The rules are split by part: `nodes` (scalars, keys, lists), `rubric` (cues, points,
misconceptions), `phases` (system design), `lint` (warnings); all limits are in `limits`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.core.bank.limits import (
    ANSWER_LIMIT,
    CUES_PER_POINT,
    HINT_LIMIT,
    HINTS,
    ID_LIMIT,
    MINUTES_RANGE,
    PROMPT_LIMIT,
    QUESTIONS_PER_FILE,
    RUBRIC_POINTS,
    SOURCE_LIMIT,
    TAG_LIMIT,
    TAGS,
    TOPIC_LIMIT,
    WEIGHT_RANGE,
)
from bot.core.bank.lint import prompt_scope
from bot.core.bank.nodes import (
    NO_PROMPT,
    STR,
    Context,
    allowed,
    choice,
    fields,
    is_slug,
    item_text,
    items,
    key_node,
    kind,
    quote,
    slug,
    strings,
    text,
)
from bot.core.bank.nodes import (
    minutes as read_minutes,
)
from bot.core.bank.phases import PHASE_KEYS, phases
from bot.core.bank.rubric import MISCONCEPTION_KEYS, POINT_KEYS, misconceptions, rubric
from bot.core.questions import Difficulty, Misconception, Phase, Question, RubricPoint, Track

__all__ = [
    "ANSWER_LIMIT",
    "CUES_PER_POINT",
    "HINTS",
    "MISCONCEPTION_KEYS",
    "PHASE_KEYS",
    "POINT_KEYS",
    "PROMPT_LIMIT",
    "QUESTION_KEYS",
    "RUBRIC_POINTS",
    "TOP_KEYS",
    "WEIGHT_RANGE",
    "Context",
    "build_document",
    "build_question",
]

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
    "misconceptions",
    "hints",
    "follow_ups",
    "phases",
    "source",
)
TOP_KEYS = ("questions",)
_QUESTION_ALLOWED = allowed(QUESTION_KEYS)
_TOP_ALLOWED = allowed(TOP_KEYS)
_TRACKS: Mapping[str, Track] = {t.value: t for t in Track}
_DIFFICULTIES: Mapping[str, Difficulty] = {d.value: d for d in Difficulty}
_REQUIRED = ("id", "track", "topic", "difficulty", "minutes", "prompt", "reference_answer")


def _peek_id(node: MappingNode) -> str | None:
    """The question's id if it is a valid slug, so problems found before it carry it."""
    for k, value_node in node.value:
        if k.__class__ is ScalarNode and k.value == "id":
            if value_node.__class__ is ScalarNode and value_node.tag == STR:
                value: str = value_node.value
                return value if len(value) <= ID_LIMIT and is_slug(value) else None
            return None
    return None


def _tags(node: Node, ctx: Context) -> tuple[str, ...] | None:
    before = ctx.errors
    found = []
    for item in items(node, "tags", TAGS, "tags", ctx):
        tag = item_text(item, "tags", ctx)
        if tag is None:
            continue
        if not is_slug(tag):
            ctx.report(item, f"tag {quote(tag)} is not a slug (use only a-z, 0-9 and '-')")
        elif len(tag) > TAG_LIMIT:
            ctx.report(item, f"tag is too long: {len(tag)} characters (limit {TAG_LIMIT})")
        else:
            found.append(tag)
    return tuple(found) if ctx.errors == before else None


def build_question(node: Node, ctx: Context) -> Question | None:
    """Validate one question entry; the Question if it has no error at all, else None."""
    if node.__class__ is not MappingNode:
        ctx.qid = None
        ctx.report(node, f"question must be a mapping, got {kind(node)}")
        return None
    ctx.qid = _peek_id(node)
    ctx.prompt = NO_PROMPT
    before = ctx.errors
    got = fields(node, _QUESTION_ALLOWED, ctx)
    get = got.get
    for key in _REQUIRED:
        if key not in got:
            ctx.report(node, f"missing required field '{key}'")
    mark = node.start_mark

    qid = None
    if (value := get("id")) is not None and (qid := slug(value, "id", ctx, ID_LIMIT)) is not None:
        first = ctx.known_ids.get(qid)
        if first is None:
            ctx.known_ids[qid] = f"{ctx.file}:{mark.line + 1}:{mark.column + 1}"
        else:
            ctx.report(value, f"duplicate id '{qid}' (first defined at {first})")

    track = None
    if (value := get("track")) is not None:
        track = choice(value, "track", _TRACKS, ctx)
        folder = ctx.folder_track
        if track is not None and folder is not None and track != folder:
            ctx.report(value, f"track '{track}' does not match the folder '{folder}'")

    topic = None
    if (value := get("topic")) is not None:
        topic = slug(value, "topic", ctx, TOPIC_LIMIT)
        expected = ctx.topic
        if topic is not None and expected is not None and topic != expected:
            ctx.report(value, f"topic '{topic}' does not match the file name '{ctx.file_name}'")

    difficulty = None
    if (value := get("difficulty")) is not None:
        difficulty = choice(value, "difficulty", _DIFFICULTIES, ctx)

    minutes = None
    if (value := get("minutes")) is not None:
        minutes = read_minutes(value, MINUTES_RANGE, ctx)

    tags: tuple[str, ...] | None = ()
    if (value := get("tags")) is not None:
        tags = _tags(value, ctx)

    prompt = answer = None
    if (value := get("prompt")) is not None:
        prompt = text(value, "prompt", ctx, PROMPT_LIMIT)
        if prompt is not None and ctx.lint:
            ctx.prompt = prompt_scope(prompt)
    if (value := get("reference_answer")) is not None:
        answer = text(value, "reference_answer", ctx, ANSWER_LIMIT)

    # System design scores each phase, so its top-level rubric is optional.
    is_design = track is Track.SYSTEM_DESIGN
    points: tuple[RubricPoint, ...] | None = ()
    if (value := get("rubric")) is not None:
        points = rubric(value, ctx)
    elif track is not None and not is_design:
        ctx.report(node, "missing required field 'rubric'")

    wrong: tuple[Misconception, ...] | None = ()
    if (value := get("misconceptions")) is not None:
        wrong = misconceptions(value, ctx)

    hints: tuple[str, ...] | None = ()
    if (value := get("hints")) is not None:
        hints = strings(value, "hints", HINTS, HINT_LIMIT, ctx)
    follow_ups: tuple[str, ...] | None = ()
    if (value := get("follow_ups")) is not None:
        follow_ups = strings(value, "follow_ups", HINTS, HINT_LIMIT, ctx)

    stages: tuple[Phase, ...] | None = ()
    value = get("phases")
    if is_design:
        if value is None:
            ctx.report(node, "missing required field 'phases' (required for system-design)")
        else:
            stages = phases(value, minutes, ctx)
    elif value is not None and track is not None:
        ctx.report(key_node(node, "phases"), "'phases' is only allowed for system-design questions")

    source: str | None = "original"
    if (value := get("source")) is not None:
        source = text(value, "source", ctx, SOURCE_LIMIT)

    if (
        ctx.errors != before
        or qid is None
        or track is None
        or topic is None
        or difficulty is None
        or minutes is None
        or prompt is None
        or answer is None
        or points is None
        or wrong is None
        or tags is None
        or hints is None
        or follow_ups is None
        or stages is None
        or source is None
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
        rubric=points,
        tags=tags,
        hints=hints,
        follow_ups=follow_ups,
        phases=stages,
        source=source,
        misconceptions=wrong,
        origin=f"{ctx.file}:{mark.line + 1}",
    )


def build_document(
    root: Node | None, ctx: Context, progress: Callable[[int, int], None] | None = None
) -> tuple[list[Question], int]:
    """Validate a whole composed file: the valid questions and how many entries were checked;
    ``progress(done, total)`` is called after each entry."""
    if root is None:
        ctx.report_at(1, 1, "file is empty (expected a mapping with a 'questions' list)")
        return [], 0
    if root.__class__ is not MappingNode:
        ctx.report(root, f"top level must be a mapping with a 'questions' list, got {kind(root)}")
        return [], 0
    entries = fields(root, _TOP_ALLOWED, ctx).get("questions")
    if entries is None:
        ctx.report(root, "missing required key 'questions'")
        return [], 0
    if entries.__class__ is not SequenceNode:
        ctx.report(entries, f"'questions' must be a list, got {kind(entries)}")
        return [], 0
    if not entries.value:
        ctx.report(entries, "'questions' must contain at least one question")
        return [], 0
    if len(entries.value) > QUESTIONS_PER_FILE:
        ctx.report(
            entries,
            f"'questions' has {len(entries.value)} questions; a file may hold at most "
            f"{QUESTIONS_PER_FILE} (split it by topic); only the first {QUESTIONS_PER_FILE} "
            "were checked",
        )
    questions = []
    todo = entries.value[:QUESTIONS_PER_FILE]
    for done, item in enumerate(todo, 1):
        question = build_question(item, ctx)
        if question is not None:
            questions.append(question)
        if progress is not None:
            progress(done, len(todo))
    ctx.qid = None
    ctx.prompt = NO_PROMPT
    return questions, min(len(entries.value), QUESTIONS_PER_FILE)

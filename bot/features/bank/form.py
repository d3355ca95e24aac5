"""Questions written in a form (Discord modal) rather than YAML: build, check, id, compare.

Pure helpers of the bank admin service. A form becomes a dict in the YAML format, is dumped to
YAML and checked by the bank validator (`parse_questions`), so a form question obeys exactly the
rules of a bank file; problems are then named by form field ("Rubric line 3: ...") instead of by
a position in YAML the moderator never saw.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from bot.core.bank import Problem, parse_questions
from bot.core.bank.dump import question_from_dict, question_to_dict
from bot.core.questions import DEFAULT_MISCONCEPTION_CAP, Question
from bot.core.rubric_lines import RubricLines, format_rubric_lines, parse_rubric_lines

FORM_FILE = "form"
ID_MAX = 60
# Left out of generated ids, so the id keeps the words that say what the question is about.
_STOP_WORDS = frozenset(
    re.findall(
        r"\w+",
        "a an and are as at be by can do does for from how i if in is it of on or the this to we "
        "what when which why with would you your",
    )
)
_MISSING_FIELD = re.compile(r"missing required field '(\w+)'")
FIELD_LABELS: Mapping[str, str] = {
    "id": "id",
    "track": "track",
    "topic": "topic",
    "difficulty": "difficulty",
    "minutes": "minutes",
    "prompt": "Prompt",
    "reference_answer": "Reference answer",
    "rubric": "Rubric",
    "hints": "Hints",
    "follow_ups": "Follow-ups",
}


class FormInvalid(Exception):
    """The form does not make a valid question; ``problems`` name the field and what is wrong."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class QuestionForm:
    """What a moderator (or member) typed: the modal's text boxes plus the command's options.

    An option left None keeps the edited question's current value (edits and reviews).
    """

    prompt: str
    reference_answer: str
    rubric: str  # one point per line, see bot.core.rubric_lines
    hints: str = ""  # one per line
    follow_ups: str = ""  # one per line
    track: str | None = None
    topic: str | None = None
    difficulty: str | None = None
    minutes: int | None = None

    @property
    def texts(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in TEXT_FIELDS}


def form_from(
    texts: Mapping[str, str],
    *,
    track: str | None = None,
    topic: str | None = None,
    difficulty: str | None = None,
    minutes: int | None = None,
) -> QuestionForm:
    """A form from submitted text boxes (missing ones are empty) and the command's options."""
    return QuestionForm(
        prompt=texts.get("prompt", ""),
        reference_answer=texts.get("reference_answer", ""),
        rubric=texts.get("rubric", ""),
        hints=texts.get("hints", ""),
        follow_ups=texts.get("follow_ups", ""),
        track=track,
        topic=topic,
        difficulty=difficulty,
        minutes=minutes,
    )


TEXT_FIELDS = ("prompt", "reference_answer", "rubric", "hints", "follow_ups")
OPTION_FIELDS = ("track", "topic", "difficulty", "minutes")


def form_of(question: Question) -> QuestionForm:
    """The form pre-filled with a question's current values (for editing)."""
    q = question
    return QuestionForm(
        track=q.track.value,
        topic=q.topic,
        difficulty=q.difficulty.value,
        minutes=q.minutes,
        prompt=q.prompt,
        reference_answer=q.reference_answer,
        rubric=format_rubric_lines(q.rubric, q.misconceptions),
        hints="\n".join(q.hints),
        follow_ups="\n".join(q.follow_ups),
    )


def clean_text(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in clean_text(text).splitlines() if line.strip()]


def _points(parsed: RubricLines) -> list[dict[str, Any]]:
    out = []
    for p in parsed.points:
        point: dict[str, Any] = {"point": p.point, "cues": list(p.cues)}
        if p.weight != 1:
            point["weight"] = p.weight
        if p.explain:
            point["explain"] = p.explain
        if p.misconceptions:
            point["misconceptions"] = [
                {"text": m.text, "cues": list(m.cues)} for m in p.misconceptions
            ]
        out.append(point)
    return out


def _question_misconceptions(parsed: RubricLines) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in parsed.misconceptions:
        wrong: dict[str, Any] = {"text": m.text, "cues": list(m.cues)}
        if m.cap != DEFAULT_MISCONCEPTION_CAP:
            wrong["cap"] = m.cap
        out.append(wrong)
    return out


def build_body(
    form: QuestionForm, question_id: str, base: Question | None = None
) -> tuple[dict[str, Any], RubricLines]:
    """The question dict in YAML field order. With ``base`` (an edit), fields whose text was left
    as pre-filled keep their stored value exactly, and tags/source are carried over."""
    before = form_of(base) if base is not None else None
    rubric = parse_rubric_lines(form.rubric)

    def unchanged(name: str) -> bool:
        return before is not None and clean_text(getattr(form, name)) == clean_text(
            getattr(before, name)
        )

    old = body_of(base) if base is not None else {}
    body: dict[str, Any] = {"id": question_id}
    for name in OPTION_FIELDS:
        value = getattr(form, name)
        if value is None and name in old:
            value = old[name]
        if value is not None:  # else the validator reports the missing field
            body[name] = value
    if old.get("tags"):
        body["tags"] = old["tags"]
    for name in ("prompt", "reference_answer"):
        body[name] = old[name] if unchanged(name) else clean_text(getattr(form, name))
    if unchanged("rubric"):
        rubric = RubricLines((), ())
        if "rubric" in old:
            body["rubric"] = old["rubric"]
        if "misconceptions" in old:
            body["misconceptions"] = old["misconceptions"]
    elif rubric.points or not rubric.problems:
        body["rubric"] = _points(rubric)
        if rubric.misconceptions:
            body["misconceptions"] = _question_misconceptions(rubric)
    for name in ("hints", "follow_ups"):
        items = old.get(name) if unchanged(name) else _lines(getattr(form, name))
        if items:
            body[name] = items
    if old.get("source"):
        body["source"] = old["source"]
    return body, rubric


def check_body(
    body: dict[str, Any],
    rubric: RubricLines,
    known_ids: Mapping[str, str],
    describe_duplicate: Callable[[str], str | None] = lambda _id: None,
) -> Question:
    """Validate with the bank validator; raise FormInvalid with problems named by form field."""
    text = yaml.safe_dump({"questions": [body]}, sort_keys=False, allow_unicode=True, width=1 << 20)
    result = parse_questions(text, FORM_FILE, known_ids)
    if result.ok and rubric.ok:
        [question] = result.questions
        return question
    problems = [f"Rubric line {p.line}: {p.message}" for p in rubric.problems]
    root = yaml.compose(text)
    for problem in result.problems:
        missing = _MISSING_FIELD.match(problem.message)  # reported at the question, not a field
        field, index = (missing[1], None) if missing else _locate(root, problem)
        if field == "rubric" and index is None and rubric.problems:
            continue  # the point count is meaningless while some lines could not be read
        owner = describe_duplicate(str(body.get("id")))
        if field == "id" and owner and problem.message.startswith("duplicate id"):
            problems.append(f"id: '{body.get('id')}' is already used by {owner}")
            continue
        problems.append(f"{_label(field, index, rubric)}: {problem.message}")
    raise FormInvalid(problems)


def _label(field: str | None, index: int | None, rubric: RubricLines) -> str:
    if field is None:
        return "Question"
    if field == "rubric" and index is not None and index < len(rubric.points):
        return f"Rubric line {rubric.points[index].line}"
    if field == "rubric" and index is not None:
        return f"Rubric point {index + 1}"
    return FIELD_LABELS.get(field, field)


def _locate(root: Node | None, problem: Problem) -> tuple[str | None, int | None]:
    """Which field (and list item) of the dumped question a problem points into."""
    where = (problem.line - 1, problem.column - 1)
    try:
        question = root.value[0][1].value[0]  # type: ignore[union-attr]
    except (AttributeError, IndexError, TypeError):
        return None, None
    if not isinstance(question, MappingNode):
        return None, None
    for key, value in question.value:
        if _start(key) <= where < _end(value) or where == _start(value):
            index = None
            if isinstance(value, SequenceNode):
                for i, item in enumerate(value.value):
                    if _start(item) <= where < _end(item) or where == _start(item):
                        index = i
            return str(key.value), index
    return None, None


def _start(node: Node) -> tuple[int, int]:
    return (node.start_mark.line, node.start_mark.column)


def _end(node: Node) -> tuple[int, int]:
    return (node.end_mark.line, node.end_mark.column)


# -- ids ------------------------------------------------------------------------------------


def _ascii_words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", plain)


def id_prefix(guild_id: int, guild_name: str) -> str:
    """A short, readable prefix naming the server, e.g. "ml-interview" for "ML Interview Prep"."""
    words = _ascii_words(guild_name)
    prefix = ""
    for word in words:
        candidate = f"{prefix}-{word}" if prefix else word
        if len(candidate) > 12:
            break
        prefix = candidate
    return prefix or f"g{_base36(guild_id)[-5:]}"


def new_question_id(prefix: str, prompt: str, taken: Callable[[str], bool]) -> str:
    """``<prefix>-<first content words of the prompt>``, with -2, -3... until it is free."""
    words = [w for w in _ascii_words(prompt) if w not in _STOP_WORDS] or ["question"]
    slug = prefix
    for word in words[:5]:
        if len(slug) + 1 + len(word) > ID_MAX - 4:
            break
        slug = f"{slug}-{word}"
    if slug == prefix:
        slug = f"{prefix}-question"
    candidate, n = slug, 1
    while taken(candidate):
        n += 1
        candidate = f"{slug}-{n}"
    return candidate


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    number = abs(number)
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


# -- stored bodies --------------------------------------------------------------------------


def body_of(question: Question) -> dict[str, Any]:
    """The JSON stored in guild_questions.body: the YAML fields, plain lists and dicts."""
    plain: dict[str, Any] = json.loads(json.dumps(question_to_dict(question)))
    return plain


def question_of(body: Mapping[str, Any], origin: str = "") -> Question:
    """Rebuild the question from a stored body (written only after validation), with every
    rubric v2 field (required cues, explain, misconceptions) intact."""
    return question_from_dict(body, origin)


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Per field that differs: {"before": old, "after": new} (absent fields are None)."""
    keys = list(dict.fromkeys([*before, *after]))
    return {
        k: {"before": before.get(k), "after": after.get(k)}
        for k in keys
        if before.get(k) != after.get(k)
    }

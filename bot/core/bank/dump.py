"""Write questions back as bank YAML (export), in the documented field order.

The output parses back to equal `Question` objects. Multi-line text uses literal block scalars
(``|``) so exported prompts and answers stay readable and diff well; PyYAML falls back to a
quoted style on its own when a block scalar could not hold the text exactly (e.g. trailing
spaces), so the round trip stays exact either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from bot.core.questions import (
    DEFAULT_MISCONCEPTION_CAP,
    Difficulty,
    Misconception,
    Phase,
    Question,
    RubricPoint,
    Track,
)

_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"


class _FlowList(list[str]):
    """Short string lists written inline: ``tags: [a, b]``."""


class _Cues(list[str]):
    """Cues written inline and double-quoted, as the format recommends: ``cues: ["a|b", "c"]``."""


class _Dumper(yaml.SafeDumper):
    """Pure-Python safe dumper, so output is identical whether or not libyaml is installed."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key ("questions:\n  - id: ..."), like the bank files.
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    return dumper.represent_scalar(_STR_TAG, data, style="|" if "\n" in data else None)


def _represent_flow(dumper: yaml.SafeDumper, data: _FlowList) -> yaml.SequenceNode:
    return dumper.represent_sequence(_SEQ_TAG, data, flow_style=True)


def _represent_cues(dumper: yaml.SafeDumper, data: _Cues) -> yaml.SequenceNode:
    items = [yaml.ScalarNode(_STR_TAG, cue, style='"') for cue in data]
    return yaml.SequenceNode(_SEQ_TAG, items, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_FlowList, _represent_flow)
_Dumper.add_representer(_Cues, _represent_cues)


def _misconception(wrong: Misconception, with_cap: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"text": wrong.text, "cues": _Cues(wrong.cues)}
    if with_cap and wrong.cap != DEFAULT_MISCONCEPTION_CAP:
        out["cap"] = wrong.cap
    return out


def _point(point: RubricPoint) -> dict[str, Any]:
    out: dict[str, Any] = {"point": point.point, "cues": _Cues(point.cues)}
    if point.weight != 1:
        out["weight"] = point.weight
    if point.explain:
        out["explain"] = point.explain
    if point.misconceptions:
        out["misconceptions"] = [_misconception(m, False) for m in point.misconceptions]
    return out


def _phase(phase: Phase) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": phase.name,
        "minutes": phase.minutes,
        "prompt": phase.prompt,
        "rubric": [_point(p) for p in phase.rubric],
    }
    if phase.misconceptions:
        out["misconceptions"] = [_misconception(m, True) for m in phase.misconceptions]
    return out


def question_to_dict(question: Question) -> dict[str, Any]:
    """Plain data in the YAML format's field order; defaults and empty optionals left out."""
    q = question
    out: dict[str, Any] = {
        "id": q.id,
        "track": q.track.value,
        "topic": q.topic,
        "difficulty": q.difficulty.value,
        "minutes": q.minutes,
    }
    if q.tags:
        out["tags"] = _FlowList(q.tags)
    out["prompt"] = q.prompt
    out["reference_answer"] = q.reference_answer
    if q.rubric:
        out["rubric"] = [_point(p) for p in q.rubric]
    if q.misconceptions:
        out["misconceptions"] = [_misconception(m, True) for m in q.misconceptions]
    if q.hints:
        out["hints"] = list(q.hints)
    if q.follow_ups:
        out["follow_ups"] = list(q.follow_ups)
    if q.phases:
        out["phases"] = [_phase(p) for p in q.phases]
    if q.source != "original":
        out["source"] = q.source
    return out


def question_from_dict(body: Any, origin: str = "") -> Question:
    """The inverse of `question_to_dict`, for data that was validated when it was stored (e.g. a
    guild question's JSON body). Every v2 field (explain, misconceptions, caps) comes back.
    Raises KeyError, TypeError or ValueError on data that never passed the validator."""

    def wrong(items: Any) -> tuple[Misconception, ...]:
        return tuple(
            Misconception(m["text"], tuple(m["cues"]), int(m.get("cap", DEFAULT_MISCONCEPTION_CAP)))
            for m in items or ()
        )

    def points(items: Any) -> tuple[RubricPoint, ...]:
        return tuple(
            RubricPoint(
                p["point"],
                tuple(p["cues"]),
                int(p.get("weight", 1)),
                p.get("explain", ""),
                wrong(p.get("misconceptions")),
            )
            for p in items or ()
        )

    return Question(
        id=body["id"],
        track=Track(body["track"]),
        topic=body["topic"],
        difficulty=Difficulty(body["difficulty"]),
        minutes=int(body["minutes"]),
        prompt=body["prompt"],
        reference_answer=body["reference_answer"],
        rubric=points(body.get("rubric")),
        tags=tuple(body.get("tags") or ()),
        hints=tuple(body.get("hints") or ()),
        follow_ups=tuple(body.get("follow_ups") or ()),
        phases=tuple(
            Phase(
                ph["name"],
                int(ph["minutes"]),
                ph["prompt"],
                points(ph["rubric"]),
                wrong(ph.get("misconceptions")),
            )
            for ph in body.get("phases") or ()
        ),
        source=body.get("source", "original"),
        misconceptions=wrong(body.get("misconceptions")),
        origin=origin,
    )


def dump_questions(questions: Iterable[Question]) -> str:
    """YAML text of ``{"questions": [...]}`` that `parse_questions` reads back unchanged."""
    document = {"questions": [question_to_dict(q) for q in questions]}
    return yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        indent=2,
        width=1 << 20,  # never fold long one-line strings (rubric points, hints)
        default_flow_style=False,
    )

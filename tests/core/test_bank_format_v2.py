"""Rubric format v2: required cues, explain, misconceptions, flexible phases, warnings, limits."""

from __future__ import annotations

import json

import pytest

from bot.core.bank import bundled_bank_path, dump_questions, load_bank, parse_questions
from bot.core.bank import limits as lim
from bot.core.bank.dump import question_from_dict, question_to_dict
from bot.core.bank.problems import WARNING, Problem, ProblemLog
from bot.core.questions import Misconception, Phase, RubricPoint

TECHNICAL = """\
questions:
  - id: fx-v2
    track: technical
    topic: t
    difficulty: medium
    minutes: 5
    prompt: "Training AUC is 0.99, validation AUC 0.81. What is going on?"
    reference_answer: "High variance: the trees memorise noise; regularise and check learning curves."
    rubric:
      - point: Identifies overfitting.
        cues: ["+overfitting|high variance", "generalization gap|memorise"]
        weight: 2
        explain: Near-perfect training AUC with much lower validation AUC is variance.
        misconceptions:
          - text: Calls it underfitting.
            cues: ["underfitting|high bias"]
      - point: Confirms before changing anything.
        cues: ["+learning curve", "+k-fold|cross-validation"]
    misconceptions:
      - text: Picks the best of many test-set runs.
        cues: ["best test score", "many runs"]
        cap: 1
"""


def _problems(text: str) -> list[str]:
    return [f"{p.line}:{p.column}: {p.message}" for p in parse_questions(text, "f.yaml").problems]


def test_v2_fields_build_the_model() -> None:
    result = parse_questions(TECHNICAL, "f.yaml")
    assert [str(p) for p in result.problems] == []
    [question] = result.questions
    first, second = question.rubric
    assert first == RubricPoint(
        "Identifies overfitting.",
        ("+overfitting|high variance", "generalization gap|memorise"),
        2,
        "Near-perfect training AUC with much lower validation AUC is variance.",
        (Misconception("Calls it underfitting.", ("underfitting|high bias",)),),
    )
    assert first.required_cues == ("+overfitting|high variance",)
    assert second.required_cues == second.cues  # a '+' on every cue is allowed
    assert question.misconceptions == (
        Misconception("Picks the best of many test-set runs.", ("best test score", "many runs"), 1),
    )


def test_v2_export_round_trips() -> None:
    [question] = parse_questions(TECHNICAL, "f.yaml").questions
    text = dump_questions([question])
    assert 'cues: ["+overfitting|high variance", "generalization gap|memorise"]' in text
    assert "explain: Near-perfect" in text
    assert "cap: 1" in text
    assert "cap: 2" not in text  # the default is left out
    assert parse_questions(text, "export.yaml").questions == (question,)
    assert dump_questions(parse_questions(text, "export.yaml").questions) == text


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('"+learning curve"', '"+"', ["18:16: cue '+' is empty after the '+' (required) mark"]),
        (
            '"+learning curve"',
            '"+ |a"',
            ["18:16: cue '+ |a' has an empty alternative"],
        ),
        ('"+learning curve"', '"+a||b"', ["18:16: cue '+a||b' has an empty alternative"]),
        (
            '"+learning curve"',
            '"' + "x" * 301 + '"',
            ["18:16: cue is too long: 301 characters (limit 300)"],
        ),
        (
            "explain: Near-perfect training AUC with much lower validation AUC is variance.",
            "explain: ''",
            ["13:18: 'explain' must not be empty"],
        ),
        (
            "explain: Near-perfect training AUC with much lower validation AUC is variance.",
            "explain: " + "e" * 301,
            ["13:18: 'explain' is too long: 301 characters (limit 300)"],
        ),
        (
            '            cues: ["underfitting|high bias"]\n',
            '            cues: ["underfitting|high bias"]\n            cap: 1\n',
            [
                "17:13: 'cap' is only allowed on a question's or a phase's misconceptions "
                "(on a rubric point a misconception voids the point)"
            ],
        ),
        (
            '["underfitting|high bias"]',
            '["+underfitting"]',
            [
                "16:20: cue '+underfitting': '+' (required) has no meaning in a misconception, "
                "whose cues must all match"
            ],
        ),
        ("cap: 1", "cap: 4", ["22:14: 'cap' must be an integer from 1 to 3, got 4"]),
        ("cap: 1", "cap: '1'", ["22:14: 'cap' must be an integer, got a string"]),
        (
            '["best test score", "many runs"]',
            '["a", "b", "c", "d"]',
            ["21:15: 'cues' must have 1-3 items, got 4"],
        ),
        (
            "      - text: Picks the best of many test-set runs.\n",
            "      - txt: Picks the best of many test-set runs.\n",
            [
                "20:9: unknown key 'txt' (allowed: text, cues, cap)",
                "20:9: missing required field 'text'",
            ],
        ),
        (
            "    misconceptions:\n      - text: Picks",
            "    misconceptions: []\n    x:\n      - text: Picks",
            [
                "19:21: 'misconceptions' must have 1-5 items, got 0",
                "20:5: unknown key 'x' (allowed: ",
            ],
        ),
        (
            "      - text: Calls it underfitting.\n            cues:",
            "      - text: " + "t" * 201 + "\n            cues:",
            ["15:19: 'text' is too long: 201 characters (limit 200)"],
        ),
    ],
)
def test_v2_rules_report_located_problems(old: str, new: str, expected: list[str]) -> None:
    assert old in TECHNICAL
    found = _problems(TECHNICAL.replace(old, new))
    assert len(found) == len(expected)
    for got, want in zip(found, expected, strict=True):
        assert got.startswith(want)


DESIGN = """\
questions:
  - id: fx-flex
    track: system-design
    topic: t
    difficulty: hard
    minutes: 30
    prompt: "Design fraud detection for card payments."
    reference_answer: "Labels arrive late; a gradient-boosted model with a rules layer; staged rollout."
    phases:
      - name: clarify
        minutes: 5
        prompt: "Agree on the goal."
        rubric:
          - {point: Asks about chargebacks., cues: ["chargeback"]}
          - {point: Asks about the review team., cues: ["analyst|review queue"]}
        misconceptions:
          - {text: Optimises accuracy on 0.1% fraud., cues: ["accuracy"], cap: 1}
      - name: labels-and-data
        minutes: 15
        prompt: "Describe the training data."
        rubric:
          - {point: Handles label delay., cues: ["+label delay|late labels", "maturity window"]}
          - {point: Splits by time., cues: ["out-of-time|time-based split"]}
      - name: rollout
        minutes: 10
        prompt: "Plan the launch."
        rubric:
          - {point: Shadow mode first., cues: ["shadow"]}
          - {point: Monitors drift., cues: ["drift"]}
"""


def test_phases_are_any_3_to_8_named_slugs() -> None:
    result = parse_questions(DESIGN, "f.yaml")
    assert [str(p) for p in result.problems] == []
    [question] = result.questions
    assert [p.name for p in question.phases] == ["clarify", "labels-and-data", "rollout"]
    assert question.phases[0].misconceptions == (
        Misconception("Optimises accuracy on 0.1% fraud.", ("accuracy",), 1),
    )
    assert isinstance(question.phases[0], Phase)
    assert parse_questions(dump_questions([question]), "x.yaml").questions == (question,)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("name: rollout", "name: clarify", ["24:15: duplicate phase 'clarify' (first at line 10)"]),
        ("name: rollout", "name: Roll Out", ["24:15: phase name 'Roll Out' is not a slug"]),
        ("name: rollout", "name: " + "r" * 33, ["24:15: 'phase name' is too long: 33 characters"]),
        (
            "minutes: 10\n",
            "minutes: 11\n",
            ["10:7: phase minutes add up to 31, but the question's"],
        ),
        ("minutes: 10\n", "minutes: 181\n", ["25:18: 'minutes' must be at most 180, got 181"]),
        ("minutes: 30", "minutes: 181", ["6:14: 'minutes' must be at most 180, got 181"]),
    ],
)
def test_phase_rules(old: str, new: str, expected: list[str]) -> None:
    assert old in DESIGN
    found = _problems(
        DESIGN.replace(old, new, 1) if old != "name: rollout" else DESIGN.replace(old, new)
    )
    assert len(found) == len(expected), found
    for got, want in zip(found, expected, strict=True):
        assert got.startswith(want)


def test_phase_count_is_3_to_8() -> None:
    two = DESIGN[: DESIGN.index("      - name: rollout")].replace("minutes: 30", "minutes: 20")
    assert _problems(two) == ["10:7: 'phases' must have 3-8 phases, got 2"]
    phase = DESIGN[DESIGN.index("      - name: rollout") :]
    nine = DESIGN + "".join(phase.replace("rollout", f"extra-{i}") for i in range(6))
    assert _problems(nine) == ["10:7: 'phases' must have 3-8 phases, got 9"]


def test_bounds_follow_the_storage_columns() -> None:
    def one(field: str, value: str) -> list[str]:
        return [p.split(": ", 1)[1] for p in _problems(TECHNICAL.replace(field, value, 1))]

    assert one("id: fx-v2", "id: " + "a" * 101) == ["'id' is too long: 101 characters (limit 100)"]
    assert one("id: fx-v2", "id: " + "a" * 100) == []
    assert one("topic: t", "topic: " + "t" * 65) == [
        "'topic' is too long: 65 characters (limit 64)"
    ]
    assert one("minutes: 5", "minutes: 5000000000") == [
        "'minutes' must be at most 180, got 5000000000"
    ]
    long_point = "point: " + "p" * 301
    assert one("point: Identifies overfitting.", long_point) == [
        "'point' is too long: 301 characters (limit 300)"
    ]
    tags = "    tags: [" + ", ".join(f"t{i}" for i in range(11)) + "]\n    prompt:"
    assert one("    prompt:", tags) == ["'tags' must have 0-10 tags, got 11"]
    assert one("    prompt:", "    hints: ['" + "h" * 501 + "']\n    prompt:") == [
        "'hints' item is too long: 501 characters (limit 500)"
    ]


@pytest.mark.parametrize(
    "value",
    ['!!int ""', '!!int "-"', '!!int "+"', '!!int "²"', '!!int "٣"', "!!int 0b_", "!!int 0x_"],
)
def test_odd_integers_are_problems_not_crashes(value: str) -> None:
    assert _problems(TECHNICAL.replace("minutes: 5", f"minutes: {value}")) == [
        f"6:14: 'minutes' must be an integer, got '{value.split(' ', 1)[1].strip(chr(34))}'"
    ]


def test_huge_integer_is_clipped_in_the_message() -> None:
    digits = "9" * 4400
    [message] = _problems(TECHNICAL.replace("minutes: 5", f'minutes: !!int "{digits}"'))
    assert message == "6:14: 'minutes' must be an integer, got '" + "9" * 59 + "…'"


@pytest.mark.parametrize("escape", ["\\0", "\\x07", "\\x1b", "\\u0085", "\\r"])
def test_control_characters_in_text_are_refused(escape: str) -> None:
    text = TECHNICAL.replace('"Training AUC', f'"Training{escape} AUC')
    [problem] = parse_questions(text, "f.yaml").problems
    assert (problem.line, problem.column) == (7, 13)
    assert "control character" in problem.message
    assert "\\" not in TECHNICAL.replace('"Training AUC', "")  # the only escape is the injected one


def test_lone_surrogate_in_an_uploaded_string() -> None:
    [problem] = parse_questions("questions: \ud800\n", "f.yaml").problems
    assert problem.message == "text is not valid Unicode (U+D800)"


# --- warnings ----------------------------------------------------------------------------------


def _warnings(text: str) -> list[str]:
    result = parse_questions(text, "f.yaml", lint=True)
    assert result.ok
    return [f"{p.line}:{p.column}: {p.message}" for p in result.problems if p.is_warning]


def test_cue_warnings() -> None:
    text = TECHNICAL.replace(
        '"generalization gap|memorise"', '"validation AUC|model|not underfitting"'
    )
    assert _warnings(text) == [
        "11:46: cue alternative 'validation AUC' occurs in the prompt, so repeating the prompt "
        "would match it",
        "11:46: cue alternative 'model' is a generic word that almost every answer contains; "
        "name the specific idea",
        "11:46: cue alternative 'not underfitting' contains a negation: the scorer handles "
        "negation in answers, so state the positive fact",
    ]
    assert parse_questions(text, "f.yaml").problems == ()  # uploads and forms: errors only


@pytest.mark.parametrize(
    ("cue", "warned"),
    [
        ("isn't needed", True),
        ("non-linear", True),
        ("without replacement", True),
        ("never", True),
        ("nonlinear", False),
        ("notation", False),
        ("knowledge", False),
        ("Training", True),  # whole word of the prompt, any case
        ("train", False),  # not a whole word of the prompt
        ("0.99", True),
        ("0.9", False),
        ("AUC is", True),
        ("the", True),
        ("the gap", False),
    ],
)
def test_warning_rules_are_whole_word(cue: str, warned: bool) -> None:
    text = TECHNICAL.replace('"generalization gap|memorise"', f'"{cue}"')
    assert bool(_warnings(text)) is warned


def test_phase_cues_are_checked_against_both_prompts() -> None:
    text = DESIGN.replace('["shadow"]', '["card payments|launch"]')
    assert [w.split(": ", 1)[1] for w in _warnings(text)] == [
        "cue alternative 'card payments' occurs in the prompt, so repeating the prompt would "
        "match it",
        "cue alternative 'launch' occurs in the prompt, so repeating the prompt would match it",
    ]
    # A phrase spanning the end of one prompt and the start of the next is not in either.
    assert _warnings(DESIGN.replace('["shadow"]', '["payments plan"]')) == []


def test_warnings_do_not_fail_a_load(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path)) / "technical"
    folder.mkdir()
    (folder / "t.yaml").write_text(TECHNICAL.replace('|memorise"', '|model"'))
    result = load_bank([folder])
    assert result.ok and len(result.questions) == 1
    assert [p.severity for p in result.problems] == ["warning"]
    assert result.warning_count == 1 and result.error_count == 0
    assert str(result.problems[0]).split(": ", 3)[2:] == [
        "warning",
        "cue alternative 'model' is a generic word that almost every answer contains; "
        "name the specific idea",
    ]
    assert load_bank([folder], lint=False).problems == ()


def test_problem_count_is_capped_with_a_summary_line() -> None:
    entries = "".join(f"  - {{id: q{i}}}\n" for i in range(100))
    result = parse_questions("questions:\n" + entries, "f.yaml")
    assert result.error_count == 600  # six missing fields per entry
    assert len(result.problems) == lim.PROBLEMS_SHOWN + 1
    last = result.problems[-1]
    assert last.message == (
        f"and {600 - lim.PROBLEMS_SHOWN} more problems not shown (only the first "
        f"{lim.PROBLEMS_SHOWN} are listed; this is the first one left out)"
    )
    assert (last.line, last.column) == (35, 5)  # the 201st problem: the 34th entry
    assert not result.ok


def test_problem_log_caps_each_severity_and_counts_exactly() -> None:
    log = ProblemLog()
    for i in range(lim.WARNINGS_SHOWN + 50):
        if log.warnings_full:
            log.count_warning()
        else:
            log.add(Problem("f.yaml", i + 1, 1, None, "weak", WARNING))
    log.add(Problem("e.yaml", 1, 1, None, "broken"))
    shown = log.sorted()
    assert (log.errors, log.warnings) == (1, lim.WARNINGS_SHOWN + 50)
    assert len(shown) == lim.WARNINGS_SHOWN + 2
    assert shown[-1].is_warning
    assert shown[-1].message.startswith("and 50 more warnings not shown")
    assert (shown[-1].line, shown[-1].column) == (lim.WARNINGS_SHOWN + 1, 1)
    assert shown[0].message == "broken"  # sorted by file and position, whatever the severity


def test_stored_bodies_rebuild_every_v2_field(monkeypatch: pytest.MonkeyPatch) -> None:
    """A guild question is stored as JSON of `question_to_dict`; `question_from_dict` reads it."""
    monkeypatch.delenv("BANK_PATH", raising=False)
    questions = [
        *parse_questions(TECHNICAL, "f.yaml").questions,
        *parse_questions(DESIGN, "f.yaml").questions,
        *load_bank([bundled_bank_path()], lint=False).questions,
    ]
    assert any(q.misconceptions for q in questions[:2])
    for question in questions:
        body = json.loads(json.dumps(question_to_dict(question)))
        assert question_from_dict(body, question.origin) == question

"""Each validation rule against a broken fixture, with the exact reported line; and the JSON Schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from bot.core.bank import Problem, bundled_bank_path, limits, load_bank, parse_questions
from bot.core.bank import validator as rules
from bot.core.bank.loader import find_bank_files
from bot.core.questions import DEFAULT_MISCONCEPTION_CAP, PHASE_NAMES, Difficulty, Track

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bank"
BROKEN = FIXTURES / "broken"
REPO = Path(__file__).resolve().parent.parent.parent
SCHEMA_PATH = REPO / "question_bank" / "schema.json"
README = REPO / "question_bank" / "README.md"
KEYS = ", ".join(rules.QUESTION_KEYS)

# fixture file -> every problem it must produce, as "line:column: question-id: message".
RULES: dict[str, list[str]] = {
    "syntax-error.yaml": [
        "4:11: -: YAML syntax error: mapping values are not allowed in this context"
    ],
    "empty.yaml": ["1:1: -: file is empty (expected a mapping with a 'questions' list)"],
    "not-a-mapping.yaml": [
        "1:1: -: top level must be a mapping with a 'questions' list, got a list"
    ],
    "missing-questions.yaml": [
        "1:1: -: unknown key 'question' (allowed: questions)",
        "1:1: -: missing required key 'questions'",
    ],
    "questions-not-a-list.yaml": ["2:3: -: 'questions' must be a list, got a mapping"],
    "empty-questions.yaml": ["1:12: -: 'questions' must contain at least one question"],
    "question-not-a-mapping.yaml": ["16:5: -: question must be a mapping, got a string"],
    "unknown-key.yaml": [f"7:5: fx-broken: unknown key 'answer' (allowed: {KEYS})"],
    "duplicate-key.yaml": ["7:5: fx-broken: duplicate key 'difficulty' (first at line 5)"],
    "missing-field.yaml": ["2:5: fx-broken: missing required field 'prompt'"],
    "wrong-type.yaml": ["6:14: fx-broken: 'minutes' must be an integer, got a string"],
    "bad-id.yaml": ["2:9: -: id 'Fx_Broken' is not a slug (use only a-z, 0-9 and '-')"],
    "duplicate-id.yaml": [
        "16:9: fx-broken: duplicate id 'fx-broken' (first defined at {file}:2:5)"
    ],
    "bad-track.yaml": [
        "3:12: fx-broken: track 'technicla' is not allowed "
        "(allowed: phone-screen, technical, system-design)"
    ],
    "bad-difficulty.yaml": [
        "5:17: fx-broken: difficulty 'expert' is not allowed (allowed: easy, medium, hard)"
    ],
    "minutes-not-positive.yaml": ["6:14: fx-broken: 'minutes' must be a positive integer, got -2"],
    "prompt-too-long.yaml": ["7:13: fx-broken: 'prompt' is too long: 1501 characters (limit 1500)"],
    "answer-too-long.yaml": [
        "9:23: fx-broken: 'reference_answer' is too long: 3501 characters (limit 3500)"
    ],
    "rubric-count.yaml": ["12:7: fx-broken: 'rubric' must have 2-8 points, got 1"],
    "point-empty.yaml": [
        "12:16: fx-broken: 'point' must not be empty",
        "13:15: fx-broken: 'cues' must have 1-5 items, got 0",
    ],
    "missing-point-keys.yaml": [
        "12:9: fx-broken: missing required field 'point'",
        "13:9: fx-broken: missing required field 'cues'",
        "14:9: fx-broken: rubric point must be a mapping, got a string",
    ],
    "cue-problems.yaml": [
        "13:16: fx-broken: 'cues' item must not be empty",
        "13:20: fx-broken: cue 'overfitting||high variance' has an empty alternative",
        "13:50: fx-broken: 'cues' item must be a string, got an integer",
    ],
    "weight-range.yaml": [
        "14:17: fx-broken: 'weight' must be an integer from 1 to 5, got 6",
        "17:17: fx-broken: 'weight' must be an integer, got a string",
    ],
    "hints-follow-ups.yaml": [
        "16:16: fx-broken: tag 'Not_A_Slug' is not a slug (use only a-z, 0-9 and '-')",
        "18:9: fx-broken: 'hints' item must be a string, got a mapping",
        "20:7: fx-broken: 'follow_ups' must have 1-3 items, got 4",
    ],
    "empty-strings.yaml": [
        "9:23: fx-broken: 'reference_answer' must not be empty",
        "15:13: fx-broken: 'source' must not be empty",
    ],
    "not-utf8.yaml": ["8:18: -: file is not valid UTF-8 (byte 0xe9)"],
    "phases-missing.yaml": [
        "2:5: fx-design: missing required field 'phases' (required for system-design)"
    ],
    "phases-forbidden.yaml": [
        "16:5: fx-broken: 'phases' is only allowed for system-design questions"
    ],
    "phase-bad-name.yaml": [
        "30:15: fx-design: phase name 'Modelling' is not a slug (use only a-z, 0-9 and '-')"
    ],
    "phase-duplicate.yaml": ["36:15: fx-design: duplicate phase 'model' (first at line 30)"],
    "phase-count.yaml": ["12:7: fx-design: 'phases' must have 3-8 phases, got 2"],
    "phase-minutes-sum.yaml": [
        "12:7: fx-design: phase minutes add up to 50, but the question's 'minutes' is 45"
    ],
    "phase-rubric-count.yaml": ["16:11: fx-design: 'rubric' must have 2-8 points, got 1"],
    "design-rubric-count.yaml": ["12:7: fx-design: 'rubric' must have 2-8 points, got 1"],
}


def test_every_broken_fixture_has_a_rule() -> None:
    assert sorted(RULES) == sorted(p.name for p in BROKEN.glob("*.yaml"))


@pytest.mark.parametrize("name", sorted(RULES), ids=lambda n: n.removesuffix(".yaml"))
def test_rule_reports_exact_problem(name: str) -> None:
    path = BROKEN / name
    file = path.as_posix()
    result = load_bank([path])
    expected = [f"{file}:{line.format(file=file)}" for line in RULES[name]]
    assert [str(p) for p in result.problems] == expected
    assert not result.ok


def test_question_with_problems_is_left_out_but_others_are_kept() -> None:
    result = load_bank([BROKEN / "question-not-a-mapping.yaml"])
    assert [q.id for q in result.questions] == ["fx-broken"]
    assert result.questions_checked == 2
    assert load_bank([BROKEN / "rubric-count.yaml"]).questions == ()


def test_all_problems_reported_at_once() -> None:
    text = """\
questions:
  - id: Bad Id
    track: tech
    topic: x
    difficulty: Hard
    minutes: 0
    prompt: ""
    reference_answer: 12
    rubric:
      - point: A
        cues: ["a||b"]
        weight: 9
    hints: []
    extra: 1
"""
    problems = [f"{p.line}:{p.column}: {p.message}" for p in parse_questions(text, "x").problems]
    assert problems == [
        "2:9: id 'Bad Id' is not a slug (use only a-z, 0-9 and '-')",
        "3:12: track 'tech' is not allowed (allowed: phone-screen, technical, system-design)",
        "5:17: difficulty 'Hard' is not allowed (allowed: easy, medium, hard)",
        "6:14: 'minutes' must be a positive integer, got 0",
        "7:13: 'prompt' must not be empty",
        "8:23: 'reference_answer' must be a string, got an integer",
        "10:7: 'rubric' must have 2-8 points, got 1",
        "11:16: cue 'a||b' has an empty alternative",
        "12:17: 'weight' must be an integer from 1 to 5, got 9",
        "13:12: 'hints' must have 1-3 items, got 0",
        f"14:5: unknown key 'extra' (allowed: {KEYS})",
    ]


def test_layout_checks_apply_to_bank_files_only() -> None:
    path = FIXTURES / "layout" / "technical" / "wrong-topic.yaml"
    file = path.as_posix()
    assert [str(p) for p in load_bank([path]).problems] == [
        f"{file}:3:12: fx-broken: track 'phone-screen' does not match the folder 'technical'",
        f"{file}:4:12: fx-broken: topic 'broken' does not match the file name 'wrong-topic.yaml'",
    ]
    # The same document imported on its own (e.g. uploaded to a guild) has no folder to match.
    assert parse_questions(path.read_text(), "upload.yaml").ok


def test_duplicate_ids_across_files_name_both_places() -> None:
    folder = FIXTURES / "duplicates"
    result = load_bank([folder])
    assert [str(p) for p in result.problems] == [
        f"{(folder / 'b.yaml').as_posix()}:16:9: fx-broken: duplicate id 'fx-broken' "
        f"(first defined at {(folder / 'a.yaml').as_posix()}:2:5)"
    ]
    assert sorted(q.id for q in result.questions) == ["fx-broken", "fx-unique"]


def test_duplicate_against_known_ids_uses_their_origin() -> None:
    text = (FIXTURES / "duplicates" / "a.yaml").read_text()
    result = parse_questions(text, "upload.yaml", {"fx-broken": "question_bank/technical/x.yaml:4"})
    assert [str(p) for p in result.problems] == [
        "upload.yaml:2:9: fx-broken: duplicate id 'fx-broken' "
        "(first defined at question_bank/technical/x.yaml:4)"
    ]


SINGLE = """\
questions:
  - id: fx-q
    track: technical
    topic: t
    difficulty: easy
    minutes: 3
    prompt: "What went wrong?"
    reference_answer: "Noise is memorised."
    rubric:
      - {point: Names overfitting., cues: ["overfitting"]}
      - {point: Names the gap., cues: ["gap"]}
"""


def _with(line: str) -> str:
    """SINGLE with the field of ``line`` replaced (or appended when absent)."""
    key = line.split(":")[0]
    lines = SINGLE.splitlines()
    for index, old in enumerate(lines):
        field = old.lstrip(" -")
        if field.startswith(f"{key}:"):
            lines[index] = old[: len(old) - len(field)] + line
            break
    else:
        lines.append(f"    {line}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("line", "where", "message"),
    [
        ("prompt:", "7:12", "'prompt' must not be empty"),
        ("prompt: [a, b]", "7:13", "'prompt' must be a string, got a list"),
        ("prompt: yes", "7:13", "'prompt' must be a string, got a boolean"),
        ("prompt: 2024-01-01", "7:13", "'prompt' must be a string, got a date"),
        ("minutes: 2.5", "6:14", "'minutes' must be an integer, got a number"),
        ("minutes: '5'", "6:14", "'minutes' must be an integer, got a string"),
        ("tags: ok", "12:11", "'tags' must be a list, got a string"),
        ("difficulty: 1", "5:17", "difficulty '1' is not allowed (allowed: easy, medium, hard)"),
        ("difficulty: ''", "5:17", "'difficulty' must not be empty"),
        ("id: ''", "2:9", "'id' must not be empty"),
    ],
)
def test_wrong_values(line: str, where: str, message: str) -> None:
    assert SINGLE == _with("minutes: 3")
    problems = parse_questions(_with(line), "f.yaml").problems
    assert [f"{p.line}:{p.column}: {p.message}" for p in problems] == [f"{where}: {message}"]


def test_unusual_int_spellings_parse_like_yaml() -> None:
    result = parse_questions(_with("minutes: 0x0A"), "f.yaml")
    assert result.ok
    assert result.questions[0].minutes == yaml.safe_load("m: 0x0A")["m"] == 10


def test_limits_are_inclusive() -> None:
    base = (FIXTURES / "duplicates" / "a.yaml").read_text()
    prompt = "x" * (rules.PROMPT_LIMIT - 1)  # plus the block scalar's final newline
    text = base.replace("What went wrong with this classifier?", prompt)
    assert text != base
    assert parse_questions(text, "f.yaml").ok


def test_problem_str_uses_dash_for_unknown_id() -> None:
    assert str(Problem("a.yaml", 3, 7, None, "boom")) == "a.yaml:3:7: -: boom"
    assert str(Problem("a.yaml", 3, 7, "q-1", "boom")) == "a.yaml:3:7: q-1: boom"


def test_python_tags_are_never_constructed() -> None:
    text = _with("minutes: !!python/name:os.system ''")
    problems = parse_questions(text, "f.yaml").problems
    assert [p.message for p in problems] == [
        "custom YAML tag 'tag:yaml.org,2002:python/name:os.system' is not allowed"
    ]


# --- the README's examples are valid and its sample error line is real ------------------------


def _readme_examples() -> list[str]:
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(), flags=re.DOTALL)
    return [b for b in blocks if "questions:" in b]


def test_readme_examples_are_valid() -> None:
    examples = _readme_examples()
    assert len(examples) == 2
    for example in examples:
        result = parse_questions(example, "README.md")
        assert result.ok, [str(p) for p in result.problems]
    tracks = {parse_questions(e, "README.md").questions[0].track for e in examples}
    assert tracks == {Track.TECHNICAL, Track.SYSTEM_DESIGN}


def test_readme_sample_error_line_is_what_the_validator_prints() -> None:
    technical = _readme_examples()[0].replace("minutes: 5", "minutes: 0")
    problem = parse_questions(technical, "question_bank/technical/bias-variance.yaml").problems
    assert len(problem) == 1
    assert f"\n{problem[0]}\n" in README.read_text()


# --- JSON Schema ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> Draft202012Validator:
    document = json.loads(SCHEMA_PATH.read_text())
    Draft202012Validator.check_schema(document)
    return Draft202012Validator(document)


def _bundled_files() -> list[Path]:
    path = bundled_bank_path()
    return find_bank_files([path]) if path.is_dir() else []


@pytest.mark.parametrize(
    "path",
    _bundled_files() + find_bank_files([FIXTURES / "valid"]),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_schema_accepts_valid_files(schema: Draft202012Validator, path: Path) -> None:
    errors = [e.message for e in schema.iter_errors(yaml.safe_load(path.read_text()))]
    assert errors == []


@pytest.mark.parametrize(
    "name",
    [
        "unknown-key.yaml",
        "bad-id.yaml",
        "bad-track.yaml",
        "wrong-type.yaml",
        "prompt-too-long.yaml",
        "rubric-count.yaml",
        "cue-problems.yaml",
        "weight-range.yaml",
        "hints-follow-ups.yaml",
        "phases-missing.yaml",
        "phases-forbidden.yaml",
        "phase-count.yaml",
        "phase-bad-name.yaml",
        "empty-questions.yaml",
    ],
)
def test_schema_rejects_broken_files(schema: Draft202012Validator, name: str) -> None:
    assert not schema.is_valid(yaml.safe_load((BROKEN / name).read_text()))


def test_schema_matches_the_validator_constants() -> None:
    defs = json.loads(SCHEMA_PATH.read_text())["$defs"]
    question = defs["question"]["properties"]
    assert list(question) == list(rules.QUESTION_KEYS)
    assert question["track"]["enum"] == [t.value for t in Track]
    assert question["difficulty"]["enum"] == [d.value for d in Difficulty]
    assert question["reference_answer"]["maxLength"] == limits.ANSWER_LIMIT
    assert question["id"]["maxLength"] == limits.ID_LIMIT
    assert question["topic"]["maxLength"] == limits.TOPIC_LIMIT
    assert question["source"]["maxLength"] == limits.SOURCE_LIMIT
    assert question["tags"]["maxItems"] == limits.TAGS[1]
    assert question["tags"]["items"]["maxLength"] == limits.TAG_LIMIT
    assert defs["prompt"]["maxLength"] == limits.PROMPT_LIMIT
    assert (defs["minutes"]["minimum"], defs["minutes"]["maximum"]) == limits.MINUTES_RANGE
    assert (defs["rubric"]["minItems"], defs["rubric"]["maxItems"]) == limits.RUBRIC_POINTS
    point = defs["rubricPoint"]["properties"]
    assert list(point) == list(rules.POINT_KEYS)
    assert (point["cues"]["minItems"], point["cues"]["maxItems"]) == limits.CUES_PER_POINT
    assert (point["weight"]["minimum"], point["weight"]["maximum"]) == limits.WEIGHT_RANGE
    assert point["point"]["maxLength"] == limits.POINT_LIMIT
    assert point["explain"]["maxLength"] == limits.EXPLAIN_LIMIT
    assert defs["cue"]["maxLength"] == limits.CUE_LIMIT
    assert (defs["shortList"]["minItems"], defs["shortList"]["maxItems"]) == limits.HINTS
    assert defs["shortList"]["items"]["maxLength"] == limits.HINT_LIMIT
    wrong = defs["misconception"]["properties"]
    assert list(wrong) == list(rules.MISCONCEPTION_KEYS)
    assert wrong["text"]["maxLength"] == limits.MISCONCEPTION_LIMIT
    assert (wrong["cues"]["minItems"], wrong["cues"]["maxItems"]) == limits.MISCONCEPTION_CUES
    assert (wrong["cap"]["minimum"], wrong["cap"]["maximum"]) == limits.CAP_RANGE
    assert wrong["cap"]["default"] == DEFAULT_MISCONCEPTION_CAP
    assert list(defs["pointMisconception"]["properties"]) == ["text", "cues"]
    listed = defs["misconceptions"]
    assert (listed["minItems"], listed["maxItems"]) == limits.MISCONCEPTIONS
    assert list(defs["phase"]["properties"]) == list(rules.PHASE_KEYS)
    assert defs["phase"]["properties"]["name"]["maxLength"] == limits.PHASE_NAME_LIMIT
    assert (defs["phases"]["minItems"], defs["phases"]["maxItems"]) == limits.PHASES
    assert ", ".join(PHASE_NAMES) in defs["phases"]["description"]  # the documented template


def test_aliases_are_refused_where_they_occur() -> None:
    text = SINGLE.replace('cues: ["gap"]', "cues: *c").replace(
        'cues: ["overfitting"]', 'cues: &c ["overfitting"]'
    )
    assert [str(p) for p in parse_questions(text, "f.yaml").problems] == [
        "f.yaml:11:39: -: YAML alias '*c' is not allowed (write the value out in full)"
    ]
    # An anchor alone is harmless; an alias to an unknown anchor reads the same as any alias.
    assert parse_questions(SINGLE.replace("prompt:", "prompt: &p"), "f.yaml").ok
    undefined = SINGLE.replace('cues: ["gap"]', "cues: *nowhere")
    assert [p.message for p in parse_questions(undefined, "f.yaml").problems] == [
        "YAML alias '*nowhere' is not allowed (write the value out in full)"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "questions:\n  - id: a\x07\n",
            "2:10: -: YAML syntax error: control characters are not allowed",
        ),
        (
            "questions: []\n---\nquestions: []\n",
            "2:1: -: YAML syntax error: expected a single document in the stream, "
            "but found another document",
        ),
    ],
)
def test_other_yaml_errors(text: str, expected: str) -> None:
    assert [str(p) for p in parse_questions(text, "f.yaml").problems] == [f"f.yaml:{expected}"]

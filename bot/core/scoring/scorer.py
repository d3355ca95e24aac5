"""One answer against one rubric: the steps the package docstring describes, in order."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

from bot.core.questions import Misconception, Question, RubricPoint
from bot.core.scoring.gaming import (
    SentenceStats,
    is_echo,
    is_stuffed,
    prompt_keys,
    sentence_stats,
)
from bot.core.scoring.matching import AnswerIndex, Cue, Pattern, Span, compile_cue
from bot.core.scoring.polarity import is_problem_cue, negated
from bot.core.scoring.results import Cap, PointResult, RubricResult
from bot.core.scoring.scale import Score, hint_cap, score_for_coverage
from bot.core.scoring.text import Token, tokenize

QUOTE_CHARS = 140
# Only this much of an answer is read: about 2,000 words, far past any answer typed within a
# question's time, so a pasted book costs bounded time and memory instead of seconds per call.
MAX_SCORED_CHARS = 12_000
GAMING_CAP = 2


def cues_needed(cue_count: int) -> int:
    return max(1, math.ceil(cue_count / 2))


@lru_cache(maxsize=1024)
def _prompt(prompt: str) -> tuple[AnswerIndex, frozenset[str]]:
    tokens = tokenize(prompt)
    return AnswerIndex(tokens), prompt_keys(tokens.tokens)


@lru_cache(maxsize=16384)
def _live_patterns(cue: Cue, prompt: str) -> tuple[Pattern, ...]:
    """The cue's alternatives that the prompt does not already say."""
    if not prompt:
        return cue.patterns
    index = _prompt(prompt)[0]
    return tuple(p for p in cue.patterns if not index.find(p, strict=True))


class _Scorer:
    """One answer against one rubric; small enough to read top to bottom."""

    def __init__(self, answer: str, prompt: str) -> None:
        self.answer = answer
        self.prompt = prompt
        self.index = AnswerIndex.build(answer)
        self.tokens: tuple[Token, ...] = self.index.tokens
        self.all_spans: list[Span] = []
        # Keyed by the pattern itself: patterns are interned by compile_cue and hash and compare
        # by identity (eq=False), so this is a lookup by id without calling id().
        self._found: dict[Pattern, list[Span]] = {}
        self._exact: dict[Pattern, list[Span]] = {}

    def spans(self, pattern: Pattern) -> list[Span]:
        """Every occurrence, typos and slipped-in words forgiven."""
        found = self._found.get(pattern)
        if found is None:
            found = self.exact_spans(pattern) or self.index.find_forgiving(pattern)
            self._found[pattern] = found
        return found

    def exact_spans(self, pattern: Pattern) -> list[Span]:
        """Occurrences as written: enough to see lists of terms and sentences that add a term."""
        found = self._exact.get(pattern)
        if found is None:
            # Most patterns are absent: a key that is no substring of the answer's keys run
            # together cannot match, and saying so here costs no lookup machinery.
            if pattern.key not in self.index.joined:
                found = self._exact[pattern] = []
                return found
            found = self._exact[pattern] = self.index.find_exact(pattern)
            self.all_spans.extend(found)
        return found

    def asserted(
        self, patterns: Iterable[Pattern], point_text: str | None, *, exact: bool = False
    ) -> list[Span]:
        """Occurrences not denied by their clause (problem cues ignore negation)."""
        out = []
        for pattern in patterns:
            exempt = point_text is not None and is_problem_cue(
                point_text, pattern.key, pattern.keys
            )
            for span in self.exact_spans(pattern) if exact else self.spans(pattern):
                if exempt or not negated(self.tokens, *span):
                    out.append(span)
        return out

    def quote(self, span: Span) -> str:
        sentence = self.tokens[span[0]].sentence
        same = [t for t in self.tokens if t.sentence == sentence]
        start, end = same[0].start, same[-1].end
        focus_start, focus_end = self.tokens[span[0]].start, self.tokens[span[1] - 1].end
        if end - start > QUOTE_CHARS:
            half = max(0, (QUOTE_CHARS - (focus_end - focus_start)) // 2)
            start = max(start, focus_start - half)
            end = min(end, focus_end + half)
        text = " ".join(self.answer[start:end].split())
        prefix = "…" if start > same[0].start else ""
        suffix = "…" if end < same[-1].end else ""
        return f"{prefix}{text}{suffix}"

    def misconception_sentence(self, misconception: Misconception) -> Span | None:
        """A sentence stating every cue of the misconception, un-negated."""
        common: set[int] | None = None
        first: dict[int, Span] = {}
        for cue_text in misconception.cues:
            cue = compile_cue(cue_text)
            spans = self.asserted(cue.patterns, None, exact=True) or self.asserted(
                cue.patterns, None
            )
            sentences = {self.tokens[s[0]].sentence for s in spans}
            for span in spans:
                first.setdefault(self.tokens[span[0]].sentence, span)
            common = sentences if common is None else common & sentences
            if not common:
                return None
        return first[min(common)] if common else None


def score_answer(
    answer: str,
    rubric: Sequence[RubricPoint],
    hints_used: int = 0,
    *,
    prompt: str = "",
    misconceptions: Sequence[Misconception] = (),
) -> RubricResult:
    """Score one answer against a rubric; ``prompt`` is what the candidate was shown."""
    if not answer.strip():
        return _unanswered(rubric)
    scorer = _Scorer(answer[:MAX_SCORED_CHARS], prompt)
    compiled = [[compile_cue(c) for c in rp.cues] for rp in rubric]
    stats = _sentence_stats(scorer, compiled)
    credited: list[tuple[int, Span]] = []  # (point index, span) of every credited cue
    points: list[PointResult] = []
    for number, (rp, cues) in enumerate(zip(rubric, compiled, strict=True)):
        point, spans = _score_point(scorer, rp, cues, stats.echo)
        points.append(point)
        credited += [(number, s) for s in spans]
    total = sum(p.weight for p in points)
    coverage = sum(p.weight for p in points if p.covered) / total if total else 0.0
    raw = score_for_coverage(coverage)
    caps = _caps(scorer, hints_used, misconceptions, stats, credited, points)
    cap = min((c.limit for c in caps), default=Score.STRONG_HIRE)
    return RubricResult(Score(min(raw, cap)), raw, coverage, cap, tuple(points), tuple(caps))


def _unanswered(rubric: Sequence[RubricPoint]) -> RubricResult:
    points = tuple(
        PointResult(p.point, p.weight, False, (), missing=_cue_names(p.cues), explain=p.explain)
        for p in rubric
    )
    cap = Cap("unanswered", Score.STRONG_NO_HIRE, "no answer was given")
    return RubricResult(Score.STRONG_NO_HIRE, Score.STRONG_NO_HIRE, 0.0, cap.limit, points, (cap,))


def _sentence_stats(scorer: _Scorer, compiled: list[list[Cue]]) -> SentenceStats:
    """Find every rubric term once; a sentence holding a term the prompt lacks is no echo."""
    informative: set[int] = set()
    for cues in compiled:
        for cue in cues:
            live = _live_patterns(cue, scorer.prompt)
            for pattern in cue.patterns:
                spans = scorer.exact_spans(pattern)
                if pattern in live:
                    informative.update(scorer.tokens[s[0]].sentence for s in spans)
    keys = _prompt(scorer.prompt)[1] if scorer.prompt else frozenset()
    return sentence_stats(
        scorer.tokens, scorer.all_spans, keys, frozenset(informative), scorer.answer
    )


def _score_point(
    scorer: _Scorer, rp: RubricPoint, cues: list[Cue], echo: frozenset[int]
) -> tuple[PointResult, list[Span]]:
    matched: list[str] = []
    missing: list[str] = []
    spans: list[Span] = []
    evidence_spans: list[tuple[bool, Span]] = []
    adds_to_prompt = False  # a point needs one term the prompt does not already say ...
    can_add = False  # ... when it has such a term at all
    for cue in cues:
        live = _live_patterns(cue, scorer.prompt)
        can_add = can_add or bool(live)
        found: list[Span] = []
        # Exact occurrences first; typos and slipped-in words only for a cue not found as written.
        for exact in (True, False):
            for pattern in cue.patterns:
                if not (scorer.exact_spans(pattern) if exact else scorer.spans(pattern)):
                    continue  # most alternatives are absent: skip the negation work
                is_live = pattern in live
                for span in scorer.asserted((pattern,), rp.point, exact=exact):
                    # The prompt's own words earn nothing in a sentence that only repeats it.
                    if is_live or scorer.tokens[span[0]].sentence not in echo:
                        found.append(span)
                        adds_to_prompt = adds_to_prompt or is_live
            if found:
                break
        if found:
            matched.append(cue.text)
            spans += found
            evidence_spans.append((not cue.required, min(found)))
        else:
            missing.append(cue.text)
    required_ok = all(cue.text in matched for cue in cues if cue.required)
    covered = (
        required_ok and len(matched) >= cues_needed(len(cues)) and (adds_to_prompt or not can_add)
    )
    misconception = ""
    for wrong in rp.misconceptions:
        if scorer.misconception_sentence(wrong) is not None:
            misconception, covered = wrong.text, False
            break
    required_missing = [c.text for c in cues if c.required and c.text in missing]
    missing = required_missing + [m for m in missing if m not in required_missing]
    # The quote shows a required cue's sentence when there is one, else the earliest match.
    evidence = scorer.quote(min(evidence_spans)[1]) if covered and evidence_spans else ""
    result = PointResult(
        rp.point, rp.weight, covered, tuple(matched), evidence, tuple(missing), misconception,
        rp.explain,
    )  # fmt: skip
    return result, spans if covered else []


def _caps(
    scorer: _Scorer,
    hints_used: int,
    misconceptions: Sequence[Misconception],
    stats: SentenceStats,
    credited: list[tuple[int, Span]],
    points: list[PointResult],
) -> list[Cap]:
    caps: list[Cap] = []
    if hints_used > 0:
        caps.append(Cap("hints", hint_cap(hints_used), f"{hints_used} hint(s) used"))
    for wrong in misconceptions:
        span = scorer.misconception_sentence(wrong)
        if span is not None:
            caps.append(
                Cap("misconception", Score(wrong.cap), f"{wrong.text} (“{scorer.quote(span)}”)")
            )
    covered_sentences = [scorer.tokens[s[0]].sentence for n, s in credited if points[n].covered]
    if is_stuffed(covered_sentences, stats):
        caps.append(
            Cap("stuffing", Score(GAMING_CAP), "the rubric's terms are listed, not explained")
        )
    if is_echo(stats):
        caps.append(Cap("echo", Score(GAMING_CAP), "the answer mostly repeats the question"))
    return caps


def cue_found(answer: str, cue: str, point: str = "") -> bool:
    """Whether the answer asserts the cue (any alternative, not denied): for tests and tools."""
    scorer = _Scorer(answer, "")
    return bool(scorer.asserted(compile_cue(cue).patterns, point))


def _cue_names(cues: Sequence[str]) -> tuple[str, ...]:
    return tuple(c.removeprefix("+") for c in cues)


def score_for(
    question: Question, answer: str, *, phase: str | None = None, hints_used: int = 0
) -> RubricResult:
    """Score an answer to a question, or to one phase of a system-design question."""
    rubric = question.rubric
    misconceptions = question.misconceptions
    prompt = question.prompt
    if phase is not None:
        matches = [p for p in question.phases if p.name == phase]
        if not matches:
            raise KeyError(f"{question.id} has no phase {phase!r}")
        rubric = matches[0].rubric
        misconceptions = (*question.misconceptions, *matches[0].misconceptions)
        prompt = f"{question.prompt}\n\n{matches[0].prompt}"
    return score_answer(answer, rubric, hints_used, prompt=prompt, misconceptions=misconceptions)


def preparation(question: Question) -> Iterator[None]:
    """Compile what scoring an answer to ``question`` needs (its cues, its prompts and which cue
    words they already say) into the scorer's caches, one cue per step.

    A caller runs the steps ahead of the first answer (interleaved with other work between
    steps), so scoring the answer later costs only the matching: compiling a question's cues
    costs several times more than scoring one answer against them.
    """
    stages = [(question.prompt, question.rubric, question.misconceptions)]
    stages += [
        (f"{question.prompt}\n\n{p.prompt}", p.rubric, p.misconceptions) for p in question.phases
    ]
    for prompt, rubric, misconceptions in stages:
        _prompt(prompt)
        yield
        for point in rubric:
            for cue_text in point.cues:
                _live_patterns(compile_cue(cue_text), prompt)
                yield
            for misconception in point.misconceptions:
                for cue_text in misconception.cues:
                    compile_cue(cue_text)
                yield
        for misconception in misconceptions:
            for cue_text in misconception.cues:
                compile_cue(cue_text)
            yield

"""Small hand-made questions for the AI tests (the bank changes; these do not)."""

from __future__ import annotations

from bot.core.questions import Difficulty, Misconception, Phase, Question, RubricPoint, Track

OVERFIT = Question(
    id="t-overfit-gap",
    track=Track.TECHNICAL,
    topic="bias-variance",
    difficulty=Difficulty.MEDIUM,
    minutes=5,
    prompt=(
        "A classifier reaches 0.99 accuracy on its training split and 0.81 on validation. "
        "What is happening, and what would you do next?"
    ),
    reference_answer=(
        "The gap is overfitting: high variance. Regularise (weight decay, dropout, early "
        "stopping) or get more data, and first rule out leakage or a distribution shift "
        "between the splits."
    ),
    rubric=(
        RubricPoint(
            "Identifies the gap as overfitting (high variance).",
            ("+overfitting|high variance|overfit|overfits",),
            weight=2,
            explain="A near-perfect training score with a large gap is variance.",
            misconceptions=(Misconception("Calls it underfitting.", ("underfitting|high bias",)),),
        ),
        RubricPoint(
            "Proposes regularisation or more training data.",
            ("+regularization|regularisation|dropout|weight decay|more data|early stopping",),
        ),
        RubricPoint(
            "Checks for leakage or a distribution shift between the splits.",
            ("+leakage|leak|distribution shift|covariate shift",),
        ),
    ),
    follow_ups=(
        "Which regularisation would you try first, and how would you tune its strength?",
        "How would you check whether the validation split comes from the same distribution as training?",
    ),
    misconceptions=(
        Misconception("Picks the model by its test-set score.", ("tune on the test set",), cap=2),
    ),
)

DESIGN = Question(
    id="sd-feed-ranking",
    track=Track.SYSTEM_DESIGN,
    topic="recommendation",
    difficulty=Difficulty.HARD,
    minutes=45,
    prompt=(
        "Design the ranking of a news feed for a social app with 50 million daily users. "
        "Posts must appear within 2 minutes of being written."
    ),
    reference_answer="Two stages: candidate retrieval, then a ranker trained on engagement.",
    rubric=(),
    phases=(
        Phase(
            "clarify",
            5,
            "Ask what you need to know before designing.",
            (RubricPoint("Asks about the objective.", ("+objective|goal|optimise for",)),),
        ),
        Phase(
            "model",
            10,
            "Propose the model.",
            (
                RubricPoint(
                    "Two-stage retrieval then ranking.",
                    ("+two-stage|retrieval|candidate generation",),
                ),
                RubricPoint(
                    "Trains the ranker on engagement labels.", ("+engagement|clicks|dwell time",)
                ),
            ),
        ),
    ),
    follow_ups=("How would you keep the feed fresh under the 2-minute requirement?",),
)

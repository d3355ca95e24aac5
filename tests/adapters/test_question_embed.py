"""A system-design phase shows the scenario it belongs to, not only the phase's task."""

from __future__ import annotations

from bot.core.bank import bundled_bank_path, load_bank
from bot.core.session import ItemStatus, ItemView
from bot.discord.render import question_embed


def test_every_phase_of_a_system_design_question_carries_the_scenario() -> None:
    question = next(q for q in load_bank([bundled_bank_path()], lint=False).questions if q.phases)
    for phase in question.phases:
        item = ItemView(
            1, 0, len(question.phases), 1, 1, question, phase, phase.minutes,
            ItemStatus.ACTIVE, None, None, None, "", 0,
        )  # fmt: skip
        description = question_embed(item).description or ""
        assert question.prompt.strip()[:200] in description
        assert phase.prompt.strip()[:100] in description

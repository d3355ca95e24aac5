"""The question bank: load and validate YAML files, export them, and index questions.

Pure core: no Discord, no database. Typical use::

    result = load_bank([bundled_bank_path()])
    for problem in result.problems:  # errors, and warnings about weak cues (``severity``)
        print(problem)  # file:line:column: question-id: [warning: ]message
    if not result.ok:  # at least one error
        raise SystemExit(1)
    bank = QuestionBank(result.questions)
    bank.select(Track.TECHNICAL, topics=["bias-variance"], difficulties=[Difficulty.EASY])
"""

from bot.core.bank.dump import dump_questions
from bot.core.bank.index import QuestionBank
from bot.core.bank.loader import bundled_bank_path, load_bank, parse_questions
from bot.core.bank.problems import BankLoadResult, Problem

__all__ = [
    "BankLoadResult",
    "Problem",
    "QuestionBank",
    "bundled_bank_path",
    "dump_questions",
    "load_bank",
    "parse_questions",
]

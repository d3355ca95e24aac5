"""Every table of the house, imported once so ``Base.metadata`` knows them all.

Alembic's env.py and the tests import this. A feature with tables of its own keeps them in
``bot/features/<feature>/models.py`` and adds one import line here.
"""

from bot.features.daily import models as daily_models  # noqa: F401  (subscriptions, cards)
from bot.features.interviews import ai_models  # noqa: F401  (AI marks, notices, token usage)
from bot.features.peer_mocks import models as peer_models  # noqa: F401  (queue, pairs, rounds)
from bot.features.practice_rounds import models as rounds_models  # noqa: F401  (rounds, panels)
from bot.scheduler import models as scheduler_models  # noqa: F401  (due jobs of all features)
from bot.storage.models import Base

__all__ = ["Base"]

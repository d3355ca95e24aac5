"""Every ORM model module, imported once so ``Base.metadata`` knows all tables.

Alembic's env.py and the tests import this. A feature with tables of its own keeps them in
``bot/storage/models_<feature>.py`` and adds one import line here.
"""

from bot.storage import (
    models_daily,  # noqa: F401  (daily questions: subscriptions, cards)
    models_peer,  # noqa: F401  (peer mocks: queue, invitations, pairs, rounds)
    models_rounds,  # noqa: F401  (practice rounds and panels)
)
from bot.storage.models import Base

__all__ = ["Base"]

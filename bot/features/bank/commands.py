"""`/bank ...`: moderators manage this server's questions; members suggest new ones (`/suggest`).

Discord shows /bank only to members with Manage Server (``default_member_permissions``); a
server admin can let the moderator role use it too (Server Settings > Integrations). Every
handler still checks for a moderator, and id autocomplete answers moderators only.

The cog only declares the commands (descriptions, choices, autocomplete) and hands each one to
the `BankFlow`. At start-up every guild's questions are loaded into the shared bank registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.questions import Difficulty, Track
from bot.discord.limits import fit_choices
from bot.features.bank import ids
from bot.features.bank.catalog import AUDIT_MAX
from bot.features.bank.flow import BankFlow
from bot.features.bank.service import BankAdminService
from bot.features.bank.views import DYNAMIC_ITEMS, HANDLERS
from bot.features.config.permissions import is_moderator

if TYPE_CHECKING:
    from bot.discord.client import MockInterviewBot

TRACK_CHOICES = [app_commands.Choice(name=t.value, value=t.value) for t in Track]
DIFFICULTY_CHOICES = [app_commands.Choice(name=d.value, value=d.value) for d in Difficulty]
Topic = app_commands.Range[str, 1, ids.TOPIC_MAX]
QuestionId = app_commands.Range[str, 1, ids.ID_MAX]
Minutes = app_commands.Range[int, 1, 180]
Choice = app_commands.Choice


def _value(choice: Choice[str] | None) -> str | None:
    return choice.value if choice is not None else None


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)  # Discord hides /bank from other members
class BankAdminCommands(
    commands.GroupCog,
    group_name="bank",
    group_description="Moderators: this server's own interview questions, suggestions, log",
):
    """Manage this server's own interview questions."""

    def __init__(self, bot: MockInterviewBot, flow: BankFlow) -> None:
        self.bot = bot
        self.flow = flow
        super().__init__()

    @app_commands.command(name="add", description="Moderators: write a new question in a form")
    @app_commands.describe(
        track="phone-screen or technical (system-design questions: use /bank import)",
        topic="a topic slug, e.g. bias-variance (existing or new)",
        difficulty="easy, medium or hard",
        minutes="time limit for answering, in minutes",
        id="optional id (a-z, 0-9, -); generated from the prompt when left out",
    )
    @app_commands.choices(track=TRACK_CHOICES, difficulty=DIFFICULTY_CHOICES)
    async def add(
        self,
        interaction: discord.Interaction[Any],
        track: Choice[str],
        topic: Topic,
        difficulty: Choice[str],
        minutes: Minutes,
        id: QuestionId | None = None,
    ) -> None:
        await self.flow.open_new(
            interaction, "add", track.value, topic, difficulty.value, minutes, id
        )

    @app_commands.command(
        name="edit", description="Moderators: edit one of this server's questions in a form"
    )
    @app_commands.describe(
        id="the question's id",
        topic="move it to another topic (optional)",
        difficulty="change the difficulty (optional)",
        minutes="change the time limit (optional)",
    )
    @app_commands.choices(difficulty=DIFFICULTY_CHOICES)
    async def edit(
        self,
        interaction: discord.Interaction[Any],
        id: str,
        topic: Topic | None = None,
        difficulty: Choice[str] | None = None,
        minutes: Minutes | None = None,
    ) -> None:
        await self.flow.open_edit(interaction, id, topic, _value(difficulty), minutes)

    @app_commands.command(
        name="retire", description="Moderators: stop asking a question (past sessions keep it)"
    )
    @app_commands.describe(id="the question's id")
    async def retire(self, interaction: discord.Interaction[Any], id: str) -> None:
        await self.flow.retire(interaction, id)

    @app_commands.command(
        name="show", description="Moderators: show a question, its rubric and reference answer"
    )
    @app_commands.describe(id="the id of a question of this server or of the bundled bank")
    async def show(self, interaction: discord.Interaction[Any], id: str) -> None:
        await self.flow.show(interaction, id)

    @app_commands.command(name="list", description="Moderators: list this server's questions")
    @app_commands.describe(
        track="only this track",
        topic="only this topic",
        bundled="also list the bundled questions (default: no)",
    )
    @app_commands.choices(track=TRACK_CHOICES)
    async def list_(
        self,
        interaction: discord.Interaction[Any],
        track: Choice[str] | None = None,
        topic: Topic | None = None,
        bundled: bool = False,
    ) -> None:
        await self.flow.list(interaction, _value(track), topic, bundled)

    @app_commands.command(
        name="import", description="Moderators: add or update questions from a YAML file"
    )
    @app_commands.describe(file="a YAML file in the question bank format, at most 1 MiB")
    async def import_(
        self, interaction: discord.Interaction[Any], file: discord.Attachment
    ) -> None:
        await self.flow.files.import_file(interaction, file)

    @app_commands.command(
        name="export", description="Moderators: download this server's questions as YAML"
    )
    async def export(self, interaction: discord.Interaction[Any]) -> None:
        await self.flow.files.export(interaction)

    @app_commands.command(
        name="review", description="Moderators: approve or reject the oldest suggestion"
    )
    async def review(self, interaction: discord.Interaction[Any]) -> None:
        await self.flow.reviews.review(interaction)

    @app_commands.command(
        name="log", description="Moderators: the latest changes to questions and settings"
    )
    @app_commands.describe(count=f"how many entries (1-{AUDIT_MAX}, default 10)")
    async def log(
        self,
        interaction: discord.Interaction[Any],
        count: app_commands.Range[int, 1, AUDIT_MAX] = 10,
    ) -> None:
        await self.flow.log(interaction, count)

    # -- autocomplete -------------------------------------------------------------------------

    async def _own_ids(
        self, interaction: discord.Interaction[Any], current: str, statuses: tuple[str, ...]
    ) -> list[Choice[str]]:
        if interaction.guild_id is None or not await is_moderator(
            interaction, self.bot.app.guild_settings
        ):
            return []
        found = await self.flow.service.own_ids(interaction.guild_id, current.strip(), statuses)
        return fit_choices(Choice(name=i, value=i) for i in found)

    @edit.autocomplete("id")
    @retire.autocomplete("id")
    async def active_ids(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[Choice[str]]:
        return await self._own_ids(interaction, current, ("active",))

    @show.autocomplete("id")
    async def any_ids(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[Choice[str]]:
        if interaction.guild_id is None or not await is_moderator(
            interaction, self.bot.app.guild_settings
        ):
            return []  # ids (and which bundled questions exist) are for moderators only
        own = await self._own_ids(interaction, current, ("active", "retired"))
        if not own and len(current.strip()) >= 2:
            needle = current.strip().lower()
            bundled = self.bot.app.banks.bundled
            own = [Choice(name=q.id, value=q.id) for q in bundled if needle in q.id]
        return fit_choices(own)

    @add.autocomplete("topic")
    @edit.autocomplete("topic")
    @list_.autocomplete("topic")
    async def topics(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[Choice[str]]:
        return topic_choices(self.bot, interaction, current)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        await self.flow.on_modal(interaction)


def topic_choices(
    bot: MockInterviewBot, interaction: discord.Interaction[Any], current: str
) -> list[Choice[str]]:
    """Topics of this server's bank and the bundled one, for the chosen track if any."""
    track_value = getattr(interaction.namespace, "track", None)
    tracks = [Track(track_value)] if track_value in {t.value for t in Track} else list(Track)
    banks = (bot.app.banks.for_guild(interaction.guild_id), bot.app.banks.bundled)
    names = sorted({t for bank in banks for tr in tracks for t in bank.topics(tr)})
    needle = current.lower().strip()
    return fit_choices(Choice(name=t, value=t) for t in names if needle in t)


class SuggestCommands(commands.Cog):
    """`/suggest`: every member may propose a question. A top-level command of its own, because
    Discord hides whole top-level commands only: /bank is for moderators."""

    def __init__(self, bot: MockInterviewBot, flow: BankFlow) -> None:
        self.bot = bot
        self.flow = flow

    @app_commands.command(
        name="suggest", description="Propose a question; moderators review it before it is used"
    )
    @app_commands.guild_only()
    @app_commands.describe(
        track="phone-screen or technical",
        topic="a topic slug, e.g. bias-variance",
        difficulty="easy, medium or hard",
        minutes="time limit for answering, in minutes",
    )
    @app_commands.choices(track=TRACK_CHOICES, difficulty=DIFFICULTY_CHOICES)
    async def suggest(
        self,
        interaction: discord.Interaction[Any],
        track: Choice[str],
        topic: Topic,
        difficulty: Choice[str],
        minutes: Minutes,
    ) -> None:
        await self.flow.open_new(
            interaction, "sug", track.value, topic, difficulty.value, minutes, None
        )

    @suggest.autocomplete("topic")
    async def topics(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[Choice[str]]:
        return topic_choices(self.bot, interaction, current)


async def setup(bot: MockInterviewBot) -> None:
    app = bot.app
    service = BankAdminService(app.db, app.clock, app.banks, app.guild_settings)
    await service.load_all()  # guild questions join the registry before anyone can ask
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    flow = BankFlow(bot, service)
    HANDLERS.register(bot, flow)
    await bot.add_cog(BankAdminCommands(bot, flow))
    await bot.add_cog(SuggestCommands(bot, flow))

"""`/config ...`: who moderates this server, and whether the bundled questions are used.

Discord shows /config only to members with Manage Server (``default_member_permissions``); a
server admin can let the moderator role use it too (Server Settings > Integrations). The
handlers check again, since that setting is the server's to change.

Every change goes through a service that writes the audit log (see /bank log).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.guard import explain_as_str, handler_guard, reply
from bot.features.bank.service import BankAdminService
from bot.features.bank.types import BankAdminError
from bot.features.config.access import Refused, require_manage_server, require_moderator
from bot.features.config.render import config_embed

if TYPE_CHECKING:
    from bot.discord.client import MockInterviewBot

guarded = handler_guard(
    explain=explain_as_str(Refused, BankAdminError),
    sorry="Something went wrong on our side; nothing was changed.",
)
ON_OFF = [app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)  # Discord hides it from other members
class ConfigCommands(
    commands.GroupCog,
    group_name="config",
    group_description="Server settings for the interview bot",
):
    def __init__(self, bot: MockInterviewBot) -> None:
        self.bot = bot
        super().__init__()

    @property
    def bank(self) -> BankAdminService:
        cog: Any = self.bot.get_cog("BankAdminCommands")
        return cog.flow.service  # type: ignore[no-any-return]

    @app_commands.command(
        name="moderator-role",
        description="Manage Server only: the role whose members may manage questions",
    )
    @app_commands.describe(role="the moderator role; leave it out to remove the current one")
    async def moderator_role(
        self, interaction: discord.Interaction[Any], role: discord.Role | None = None
    ) -> None:
        await self._set_moderator_role(interaction, role)

    @guarded
    async def _set_moderator_role(
        self, interaction: discord.Interaction[Any], role: discord.Role | None
    ) -> None:
        guild = require_manage_server(interaction)
        if role is not None and role.is_default():
            raise Refused("Choose a specific role, not @everyone.")
        actor = await self.bot.flow.user_id(interaction.user)
        await self.bot.app.guild_settings.update(
            guild.id, actor, moderator_role_id=role.id if role else None
        )
        who = f" and members with {role.mention}" if role else " only (no moderator role)"
        await reply(interaction, f"Moderators are now members with Manage Server{who}.")

    @app_commands.command(
        name="bundled-questions",
        description="Moderators: use the bundled questions beside this server's own, or not",
    )
    @app_commands.describe(enabled="on: bundled and own questions; off: only this server's own")
    @app_commands.choices(enabled=ON_OFF)
    async def bundled_questions(
        self, interaction: discord.Interaction[Any], enabled: app_commands.Choice[str]
    ) -> None:
        await self._set_bundled(interaction, enabled.value == "on")

    @guarded
    async def _set_bundled(self, interaction: discord.Interaction[Any], enabled: bool) -> None:
        guild = await require_moderator(interaction, self.bot.app.guild_settings)
        actor = await self.bot.flow.user_id(interaction.user)
        summary = await self.bank.set_bundled(guild.id, actor, enabled)
        active = summary.counts.get("active", 0)
        if enabled:
            text = f"Bundled questions are on: interviews here use them and this server's {active}."
        else:
            text = f"Bundled questions are off: interviews here use only this server's {active}."
            if active == 0:
                text += " Add some with /bank add or /bank import, or interviews cannot start."
        await reply(interaction, text)

    @app_commands.command(
        name="ai",
        description="Manage Server only: let the AI interviewer check grades and write feedback",
    )
    @app_commands.describe(
        enabled="on: interview answers go to the bot's model server; off: rubric scorer only"
    )
    @app_commands.choices(enabled=ON_OFF)
    async def ai(
        self, interaction: discord.Interaction[Any], enabled: app_commands.Choice[str]
    ) -> None:
        await self._set_ai(interaction, enabled.value == "on")

    @guarded
    async def _set_ai(self, interaction: discord.Interaction[Any], enabled: bool) -> None:
        guild = require_manage_server(interaction)
        marking = self.bot.app.ai_marking
        if enabled and not marking.configured:
            raise Refused(
                "The AI interviewer needs a model server, and this bot has none: LLM_BASE_URL is "
                "not set where the bot runs. Whoever runs the bot can set it (see the README's "
                "AI interviewer section); until then interviews use the rubric scorer."
            )
        actor = await self.bot.flow.user_id(interaction.user)
        await self.bot.app.guild_settings.update(guild.id, actor, ai_enabled=enabled)
        if not enabled:
            await reply(
                interaction,
                "The AI interviewer is off: interviews here use the rubric "
                "scorer only, and no answer is sent to a model server.",
            )
            return
        budget = marking.interviewer.budget
        limit = f" This server may use up to {budget.daily_limit:,} tokens a day." if budget else ""
        await reply(
            interaction,
            f"The AI interviewer is on: when an interview here ends, its answers go to the model "
            f"server at **{marking.host or 'the configured server'}**, which checks the grading "
            f"point by point and writes feedback. Each member is told once before their first "
            f"AI-graded answer.{limit}",
        )

    @app_commands.command(name="show", description="Moderators: show this server's settings")
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        await self._show(interaction)

    @guarded
    async def _show(self, interaction: discord.Interaction[Any]) -> None:
        guild = await require_moderator(interaction, self.bot.app.guild_settings)
        summary = await self.bank.summary(guild.id)
        await interaction.response.send_message(
            embed=config_embed(summary.config, summary.counts), ephemeral=True
        )


async def setup(bot: MockInterviewBot) -> None:
    await bot.add_cog(ConfigCommands(bot))

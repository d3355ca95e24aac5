"""`/privacy delete-my-data`: an ephemeral confirmation with Confirm / Cancel buttons.

The buttons are DynamicItems whose custom_id carries the caller's Discord id and the expiry
time, so they keep working across a restart and their two-minute window is checked against the
app's clock (no per-message timer). Only the caller may press them.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.components import PLATFORM
from bot.discord.guard import reply
from bot.discord.render import timestamp
from bot.features.privacy import render
from bot.features.privacy.service import PrivacyService

if TYPE_CHECKING:
    from bot.discord.client import MockInterviewBot

log = logging.getLogger(__name__)
CONFIRM_WINDOW = timedelta(minutes=2)
PREFIX = "mlmock:privacy"
_ACTIONS = {
    "confirm": ("Delete everything", discord.ButtonStyle.danger),
    "cancel": ("Cancel", discord.ButtonStyle.secondary),
}


class PrivacyButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"{PREFIX}:(?P<action>confirm|cancel):(?P<owner>\d+):(?P<expires>\d+)",
):
    def __init__(self, action: str, owner_id: int, expires: int) -> None:
        label, style = _ACTIONS[action]
        super().__init__(
            discord.ui.Button(
                label=label, style=style, custom_id=f"{PREFIX}:{action}:{owner_id}:{expires}"
            )
        )
        self.action, self.owner_id, self.expires = action, owner_id, expires

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PrivacyButton:
        return cls(match["action"], int(match["owner"]), int(match["expires"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        cog = interaction.client.get_cog(PrivacyCommands.__cog_name__)  # type: ignore[attr-defined]
        assert isinstance(cog, PrivacyCommands)
        await cog.on_button(interaction, self.action, self.owner_id, self.expires)


def confirmation_view(owner_id: int, expires_at: datetime) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action in _ACTIONS:
        view.add_item(PrivacyButton(action, owner_id, int(expires_at.timestamp())))
    return view


class PrivacyCommands(commands.Cog):
    privacy = app_commands.Group(
        name="privacy", description="Your data: what is stored, deleting it"
    )

    def __init__(self, bot: MockInterviewBot, service: PrivacyService) -> None:
        self.bot = bot
        self.service = service

    @privacy.command(
        name="delete-my-data",
        description="Delete everything the bot stores about you (asks you to confirm first)",
    )
    async def delete_my_data(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        preview = await self.service.preview(PLATFORM, str(interaction.user.id))
        if not preview.found:
            await interaction.followup.send(
                "The bot stores nothing about you, so there is nothing to delete.", ephemeral=True
            )
            return
        expires_at = self.bot.app.clock.now() + CONFIRM_WINDOW
        await interaction.followup.send(
            render.deletion_preview(preview, timestamp(expires_at)),
            view=confirmation_view(interaction.user.id, expires_at),
            ephemeral=True,
        )

    async def on_button(
        self, interaction: discord.Interaction[Any], action: str, owner_id: int, expires: int
    ) -> None:
        try:
            await self._on_button(interaction, action, owner_id, expires)
        except Exception:
            log.exception("privacy button %s failed", action)
            try:
                await reply(
                    interaction,
                    "Something went wrong on our side. Run /privacy delete-my-data again to "
                    "see what is still stored.",
                )
            except discord.HTTPException:
                log.info("could not report the failure to the user", exc_info=True)

    async def _on_button(
        self, interaction: discord.Interaction[Any], action: str, owner_id: int, expires: int
    ) -> None:
        if interaction.user.id != owner_id:
            await reply(interaction, "Only the member who asked can confirm or cancel this.")
            return
        if action == "cancel":
            await interaction.response.edit_message(
                content="Cancelled: nothing was deleted.", view=None
            )
            return
        if self.bot.app.clock.now().timestamp() > expires:
            await interaction.response.edit_message(
                content="This confirmation expired after two minutes; nothing was deleted. "
                "Run /privacy delete-my-data again if you still want to.",
                view=None,
            )
            return
        await interaction.response.defer()  # deleting may take a moment: acknowledge first
        report = await self.service.delete_user(PLATFORM, str(owner_id))
        self.bot.flow.forget_user(owner_id)
        await interaction.edit_original_response(content=render.deletion_done(report), view=None)


async def setup(bot: MockInterviewBot) -> None:
    bot.add_dynamic_items(PrivacyButton)
    await bot.add_cog(PrivacyCommands(bot, PrivacyService(bot.app.db, bot.app.interviews)))

"""/bank import and /bank export in Discord: attachments in, YAML files out."""

from __future__ import annotations

import io
from typing import Any

import discord

from bot.features.bank import ids, render
from bot.features.bank.common import BankContext, guarded
from bot.features.bank.service import IMPORT_MAX_BYTES
from bot.features.bank.types import ImportRejected
from bot.features.config.access import Refused


class BankFiles:
    """/bank import and /bank export: attachments in, YAML files out."""

    def __init__(self, ctx: BankContext) -> None:
        self._ctx = ctx

    @guarded
    async def import_file(
        self, interaction: discord.Interaction[Any], attachment: discord.Attachment
    ) -> None:
        guild = await self._ctx.require_moderator(interaction)
        if attachment.size > IMPORT_MAX_BYTES:  # checked before downloading anything
            raise Refused(
                f"`{attachment.filename}` is {attachment.size / 1024:.0f} KiB; the limit is "
                "1 MiB (1,024 KiB). Split it into several files."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await attachment.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise Refused(
                f"`{attachment.filename}` is not UTF-8 text (line {line}); save it as UTF-8 "
                "YAML and try again."
            ) from exc
        try:
            report = await self._ctx.service.import_yaml(
                guild.id, await self._ctx.actor(interaction), attachment.filename, text
            )
        except ImportRejected as exc:
            content = render.problems_text(str(exc), exc.problems)
            if content is not None:
                await interaction.followup.send(content, ephemeral=True)
            else:
                listing = io.BytesIO(("\n".join(exc.problems) + "\n").encode())
                await interaction.followup.send(
                    f"{exc} Every problem (file:line:column) is in the attached list.",
                    file=discord.File(listing, filename="import-problems.txt"),
                    ephemeral=True,
                )
            return
        parts = [f"{len(report.added)} added", f"{len(report.updated)} updated"]
        parts.append(f"{len(report.unchanged)} unchanged")
        names = ", ".join(f"`{i}`" for i in (*report.added, *report.updated))
        await interaction.followup.send(
            render.clip_message(f"Imported `{attachment.filename}`: {', '.join(parts)}. {names}"),
            ephemeral=True,
        )

    @guarded
    async def export(self, interaction: discord.Interaction[Any]) -> None:
        guild = await self._ctx.require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        text, count = await self._ctx.service.export_yaml(guild.id)
        if not count:
            await interaction.followup.send(
                "This server has no active questions of its own to export.", ephemeral=True
            )
            return
        name = f"{ids.slug_option(guild.name) or 'server'}-questions.yaml"
        await interaction.followup.send(
            f"{count} question(s) in the bank format; /bank import takes this file back as is.",
            file=discord.File(io.BytesIO(text.encode()), filename=name),
            ephemeral=True,
        )

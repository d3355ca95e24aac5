"""/bank import and /bank export in Discord: attachments in, YAML files out."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from typing import Any

import discord

from bot.features.bank import ids, render
from bot.features.bank.common import BankContext, guarded
from bot.features.bank.service import IMPORT_MAX_BYTES
from bot.features.bank.types import BankAdminError, ImportProgress, ImportRejected
from bot.features.config.access import Refused

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 1.0  # seconds between two edits of the reply (Discord rate-limits them)


class ProgressReply:
    """Shows a big import's progress in the deferred reply. The service calls it (it must not
    block); the latest report wins, one edit is in flight at a time, one per interval at most."""

    def __init__(self, interaction: discord.Interaction[Any]) -> None:
        self._interaction = interaction
        self._latest: ImportProgress | None = None
        self._task: asyncio.Task[None] | None = None
        self._finished = asyncio.Event()
        self.shown = False  # the reply holds progress: the outcome must replace it

    def __call__(self, progress: ImportProgress) -> None:
        if self._finished.is_set():
            return
        self._latest = progress
        if self._task is None:
            self._task = asyncio.create_task(self._edits(), name="bank-import-progress")

    async def _edits(self) -> None:
        while self._latest is not None and not self._finished.is_set():
            progress, self._latest = self._latest, None
            try:
                await self._interaction.edit_original_response(
                    content=render.import_progress(progress)
                )
                self.shown = True
            except discord.HTTPException as exc:  # progress is a courtesy; the import goes on
                log.info("import progress not shown: %s", exc)
            try:
                await asyncio.wait_for(self._finished.wait(), PROGRESS_INTERVAL)
            except TimeoutError:
                pass

    async def finish(self) -> None:
        """No more edits; returns once the one in flight (if any) is done."""
        self._finished.set()
        if self._task is not None:
            await self._task

    async def answer(self, content: str, file: discord.File | None = None) -> None:
        """The outcome: in place of the progress if some was shown, else as the reply."""
        await self.finish()
        if self.shown:
            files = [file] if file is not None else []
            await self._interaction.edit_original_response(content=content, attachments=files)
        elif file is not None:
            await self._interaction.followup.send(content, file=file, ephemeral=True)
        else:
            await self._interaction.followup.send(content, ephemeral=True)


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
        progress = ProgressReply(interaction)
        try:
            report = await self._ctx.service.import_yaml(
                guild.id,
                await self._ctx.actor(interaction),
                attachment.filename,
                text,
                progress=progress,
            )
        except ImportRejected as exc:
            content = render.problems_text(str(exc), exc.problems)
            if content is not None:
                await progress.answer(content)
            else:
                listing = io.BytesIO(("\n".join(exc.problems) + "\n").encode())
                await progress.answer(
                    f"{exc} Every problem (file:line:column) is in the attached list.",
                    discord.File(listing, filename="import-problems.txt"),
                )
            return
        except (Refused, BankAdminError) as exc:
            await progress.finish()
            if not progress.shown:
                raise  # the usual refusal
            await progress.answer(render.clip_message(str(exc)))
            return
        except Exception:
            await progress.finish()
            if progress.shown:  # the apology follows; the reply must not stay on "Saving..."
                with contextlib.suppress(discord.HTTPException):
                    await interaction.edit_original_response(content="The import stopped.")
            raise
        parts = [f"{len(report.added)} added", f"{len(report.updated)} updated"]
        parts.append(f"{len(report.unchanged)} unchanged")
        names = ", ".join(f"`{i}`" for i in (*report.added, *report.updated))
        await progress.answer(
            render.clip_message(f"Imported `{attachment.filename}`: {', '.join(parts)}. {names}")
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

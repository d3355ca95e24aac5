"""Bank admin in Discord: check who may act, call the service, render the result.

Moderator-only actions answer everyone else with one ephemeral sentence. A form that does not
make a valid question is answered with what is wrong, the submitted text as a file, and a button
that reopens the form filled in, so nothing written is lost.
"""

from __future__ import annotations

import io
import logging
import secrets
from typing import TYPE_CHECKING, Any

import discord

from bot.discord.guard import reply
from bot.features.bank import ids, render
from bot.features.bank.common import BankContext, guarded
from bot.features.bank.files import BankFiles
from bot.features.bank.form import TEXT_FIELDS, FormInvalid, form_from, form_of
from bot.features.bank.review import BankReview
from bot.features.bank.service import BankAdminService
from bot.features.bank.types import SYSTEM_DESIGN_FORM, BankAdminError, Saved
from bot.features.bank.views import (
    Draft,
    Drafts,
    QuestionModal,
    modal_values,
    page_view,
    retry_view,
    too_long_to_edit,
)
from bot.features.config.access import Refused, guild_of

if TYPE_CHECKING:
    from bot.discord.client import MockInterviewBot

log = logging.getLogger(__name__)
APOLOGY = "Something went wrong on our side; nothing was saved. Please try again."
FORM_TITLES = {
    "add": "New question",
    "sug": "Suggest a question",
    "edit": "Edit question",
    "redit": "Edit and approve the suggestion",
}


class BankFlow:
    """Forms, pages and the log; import/export and the review queue are its composed parts."""

    def __init__(self, bot: MockInterviewBot, service: BankAdminService) -> None:
        self.bot = bot
        self.service = service
        self._ctx = BankContext(bot, service)
        self.drafts = Drafts()
        self.files = BankFiles(self._ctx)
        self.reviews = BankReview(self._ctx, self.refuse_form)

    async def on_review(self, interaction: discord.Interaction[Any], action: str, row: int) -> None:
        await self.reviews.on_review(interaction, action, row)

    # -- forms: add, suggest, edit ------------------------------------------------------------

    @guarded
    async def open_new(
        self,
        interaction: discord.Interaction[Any],
        kind: str,
        track: str,
        topic: str,
        difficulty: str,
        minutes: int,
        question_id: str | None,
    ) -> None:
        if kind == "add":
            await self._ctx.require_moderator(interaction)
        else:
            guild_of(interaction)
        if track == "system-design":
            raise Refused(
                SYSTEM_DESIGN_FORM
                if kind == "add"
                else "System-design questions need timed phases, which a form cannot "
                "hold: ask a moderator to import yours as YAML."
            )
        slug = ids.slug_option(topic)
        if slug is None:
            raise Refused("A topic uses only a-z, 0-9 and '-', e.g. `bias-variance`.")
        qid = ""
        if question_id:
            qid = ids.slug_option(question_id) or ""
            if not qid:
                raise Refused("An id uses only a-z, 0-9 and '-', e.g. `ml-overfitting-basics`.")
        custom_id = ids.new_id(kind, track, difficulty, minutes, slug, qid)
        title = f"{FORM_TITLES[kind]} · {track}"
        await interaction.response.send_modal(QuestionModal(custom_id, title))

    @guarded
    async def open_edit(
        self,
        interaction: discord.Interaction[Any],
        question_id: str,
        topic: str | None,
        difficulty: str | None,
        minutes: int | None,
    ) -> None:
        guild = await self._ctx.require_moderator(interaction)
        slug = ids.slug_option(topic) if topic else None
        if topic and slug is None:
            raise Refused("A topic uses only a-z, 0-9 and '-', e.g. `bias-variance`.")
        info = await self.service.editable(guild.id, question_id.strip())
        assert info.row_id is not None
        values = form_of(info.question).texts
        if too_long := too_long_to_edit(values):
            raise Refused(
                f"This question's {', '.join(too_long)} is too long for a form: use /bank export, "
                "edit the YAML and /bank import it."
            )
        custom_id = ids.edit_id(info.row_id, difficulty, minutes, slug)
        title = f"Edit {info.question.id}"
        await interaction.response.send_modal(QuestionModal(custom_id, title, values))

    async def on_modal(self, interaction: discord.Interaction[Any]) -> None:
        """Modal submissions of this feature, matched by custom_id (so they survive restarts)."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        custom_id = str(dict(interaction.data or {}).get("custom_id", ""))
        if not custom_id.startswith(ids.PREFIX + ":"):
            return
        values = modal_values(interaction)
        if match := ids.REJECT_RE.fullmatch(custom_id):
            await self.reviews.on_reject_form(
                interaction, int(match["row"]), values.get("reason", "")
            )
        else:
            await self.on_question_form(interaction, custom_id, values)

    @guarded
    async def on_question_form(
        self, interaction: discord.Interaction[Any], custom_id: str, values: dict[str, str]
    ) -> None:
        texts = {name: values.get(name, "") for name in TEXT_FIELDS}
        if match := ids.REVIEW_EDIT_RE.fullmatch(custom_id):
            await self.reviews.approve(interaction, int(match["row"]), form_from(texts), custom_id)
            return
        guild = guild_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            saved, note = await self._save_form(interaction, guild, custom_id, texts)
        except FormInvalid as exc:
            await self.refuse_form(interaction, custom_id, texts, exc.problems)
            return
        except (Refused, BankAdminError) as exc:  # still hand the text back
            await self.refuse_form(interaction, custom_id, texts, [str(exc)])
            return
        except Exception:
            log.exception("saving the form %s failed", custom_id)
            await self.refuse_form(interaction, custom_id, texts, [APOLOGY])
            return
        embeds = render.question_embeds(saved.question, "server", saved.status)[0]
        await interaction.followup.send(note, embeds=embeds, ephemeral=True)

    async def _save_form(
        self,
        interaction: discord.Interaction[Any],
        guild: discord.Guild,
        custom_id: str,
        texts: dict[str, str],
    ) -> tuple[Saved, str]:
        if match := ids.NEW_RE.fullmatch(custom_id):
            form = form_from(
                texts,
                track=ids.TRACK_OF[match["t"]],
                topic=match["topic"],
                difficulty=ids.LEVEL_OF[match["d"]],
                minutes=int(match["minutes"]),
            )
            if match["kind"] == "sug":
                saved = await self.service.suggest(
                    guild.id, await self._ctx.actor(interaction), form, guild_name=guild.name
                )
                return saved, (
                    f"Thanks! Your question `{saved.question.id}` waits for a moderator's "
                    "review; I'll DM you the outcome."
                )
            await self._ctx.require_moderator(interaction)
            saved = await self.service.add(
                guild.id,
                await self._ctx.actor(interaction),
                form,
                guild_name=guild.name,
                question_id=match["qid"] or None,
            )
            return saved, f"Added `{saved.question.id}`; it is used in this server's interviews."
        if match := ids.EDIT_RE.fullmatch(custom_id):
            await self._ctx.require_moderator(interaction)
            form = form_from(
                texts,
                topic=match["topic"] or None,
                difficulty=ids.LEVEL_OF.get(match["d"]),
                minutes=int(match["minutes"]) or None,
            )
            saved = await self.service.edit(
                guild.id, await self._ctx.actor(interaction), int(match["row"]), form
            )
            changed = ", ".join(saved.changed) or "nothing (it was already like this)"
            return saved, f"Saved `{saved.question.id}`. Changed: {changed}."
        raise Refused("This form is from an older version of the bot; please start again.")

    async def refuse_form(
        self,
        interaction: discord.Interaction[Any],
        custom_id: str,
        values: dict[str, str],
        problems: list[str],
    ) -> None:
        token = secrets.token_urlsafe(9)
        kind = custom_id.split(":")[2]
        self.drafts.put(token, Draft(custom_id, FORM_TITLES.get(kind, "Question"), values))
        header = (
            "**Not saved.** Fix these and submit again; your text is attached, and the button "
            "reopens the form with it:"
        )
        content = render.problems_text(header, problems) or (
            f"**Not saved:** {len(problems)} problems, listed at the top of the attached file "
            "(which also holds your text). The button reopens the form with it."
        )
        draft = io.BytesIO(render.draft_text(values, problems).encode())
        await interaction.followup.send(
            content,
            file=discord.File(draft, filename="question-draft.txt"),
            view=retry_view(token),
            ephemeral=True,
        )

    @guarded
    async def on_retry(self, interaction: discord.Interaction[Any], token: str) -> None:
        draft = self.drafts.get(token)
        if draft is None:
            raise Refused(
                "That draft is no longer kept (the bot restarted); copy your text from the "
                "attached file into a new form."
            )
        await interaction.response.send_modal(
            QuestionModal(draft.custom_id, draft.title, draft.values)
        )

    # -- one-shot commands --------------------------------------------------------------------

    @guarded
    async def retire(self, interaction: discord.Interaction[Any], question_id: str) -> None:
        guild = await self._ctx.require_moderator(interaction)
        saved = await self.service.retire(
            guild.id, await self._ctx.actor(interaction), question_id.strip()
        )
        await reply(
            interaction,
            f"Retired `{saved.question.id}`: new interviews no longer ask it; past sessions "
            "still show it.",
        )

    @guarded
    async def show(self, interaction: discord.Interaction[Any], question_id: str) -> None:
        guild = await self._ctx.require_moderator(interaction)
        info = await self.service.show(guild.id, question_id.strip())
        groups = render.question_embeds(info.question, info.owner, info.status)
        await interaction.response.send_message(embeds=groups[0], ephemeral=True)
        for embeds in groups[1:]:
            await interaction.followup.send(embeds=embeds, ephemeral=True)

    @guarded
    async def list(
        self,
        interaction: discord.Interaction[Any],
        track: str | None,
        topic: str | None,
        bundled: bool,
    ) -> None:
        guild = await self._ctx.require_moderator(interaction)
        slug = ids.slug_option(topic) if topic else None
        if topic and (slug is None or len(slug) > ids.TOPIC_MAX):
            raise Refused("A topic uses only a-z, 0-9 and '-', e.g. `bias-variance`.")
        await self._send_page(interaction, guild.id, 0, bundled, track, slug, edit=False)

    @guarded
    async def on_page(
        self,
        interaction: discord.Interaction[Any],
        page: int,
        bundled: bool,
        track: str | None,
        topic: str | None,
    ) -> None:
        guild = await self._ctx.require_moderator(interaction)
        await self._send_page(interaction, guild.id, page, bundled, track, topic, edit=True)

    async def _send_page(
        self,
        interaction: discord.Interaction[Any],
        guild_id: int,
        page_number: int,
        bundled: bool,
        track: str | None,
        topic: str | None,
        *,
        edit: bool,
    ) -> None:
        page = await self.service.list_page(
            guild_id, page_number, track=track, topic=topic, include_bundled=bundled
        )
        filters = "".join(
            f" · {f}" for f in (track, topic, "with bundled" if bundled else None) if f
        )
        embed = render.page_embed(page, filters)
        view = page_view(page.page, page.pages, bundled, track, topic)
        if edit:
            await interaction.response.edit_message(embed=embed, view=view)
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    @guarded
    async def log(self, interaction: discord.Interaction[Any], count: int) -> None:
        guild = await self._ctx.require_moderator(interaction)
        entries = await self.service.audit_log(guild.id, count)
        await interaction.response.send_message(embed=render.audit_embed(entries), ephemeral=True)

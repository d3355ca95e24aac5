"""/bank end to end through the loopback fake: forms, buttons, files, review queue, interviews."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import discord
import pytest
from sqlalchemy import select

from bot.app import App
from bot.core.bank import dump_questions
from bot.discord.client import MockInterviewBot
from bot.features.config.permissions import NOT_A_MODERATOR
from bot.storage.models import AuditEntry, GuildQuestion
from tests.e2e.conftest import BotFactory
from tests.factories import question
from tests.loopback import DefaultWorld, FakeDiscord, FakeMessage, InvalidInteraction

Running = tuple[App, MockInterviewBot]

FORM = {
    "prompt": "A model scores 0.99 on training data and 0.81 on validation. What is going on?",
    "reference_answer": "High variance: it overfits. Confirm with learning curves first.",
    "rubric": (
        "Identifies overfitting :: overfitting | high variance, gap :: weight 2\n"
        "Confirms before changing anything :: learning curve | cross-validation"
    ),
    "hints": "Compare the two numbers.",
    "follow_ups": "",
}
ADD = {"track": "technical", "topic": "bias-variance", "difficulty": "medium", "minutes": 5}


MANAGE_SERVER = discord.Permissions(manage_guild=True).value


async def bank(fake: FakeDiscord, who: Any, channel: Any, sub: str, **options: Any) -> Any:
    if sub == "suggest":  # members' command: top-level, since /bank is hidden from them
        return await fake.slash(who, channel, "suggest", options=options)
    return await fake.slash(who, channel, "bank", subcommand=sub, options=options)


async def open_form(fake: FakeDiscord, who: Any, channel: Any, sub: str, **options: Any) -> Any:
    result = await bank(fake, who, channel, sub, **options)
    callback = await result.response()
    assert callback.type == 9, callback
    return callback.data


async def submit(
    fake: FakeDiscord, who: Any, channel: Any, modal: dict[str, Any], values: dict[str, str]
) -> FakeMessage:
    result = await fake.submit_modal(who, channel, modal["custom_id"], values)
    return await result.final_message()


def fields(modal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["component"]["custom_id"]: row for row in modal["components"]}


async def guild_rows(app: App) -> list[GuildQuestion]:
    async with app.db.reading() as s:
        return list((await s.scalars(select(GuildQuestion).order_by(GuildQuestion.id))).all())


async def audit_actions(app: App) -> list[str]:
    async with app.db.reading() as s:
        return [e.action for e in (await s.scalars(select(AuditEntry).order_by(AuditEntry.id)))]


async def import_file(
    fake: FakeDiscord, w: DefaultWorld, filename: str, data: bytes, who: Any = None
) -> FakeMessage:
    attachment = fake.upload(filename, data, content_type="application/x-yaml")
    result = await bank(fake, who or w.alice, w.staff, "import", file=attachment)
    return await result.final_message()


def attachment_text(message: FakeMessage, name: str) -> str:
    [found] = [a for a in message.attachments if a.filename == name]
    return found.data.decode()


# -- commands and refusals -------------------------------------------------------------------


async def test_commands_are_synced_and_described(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    command = fake_discord.command("bank")
    assert command["description"] and command.get("contexts") in (None, [0])
    subs = {o["name"]: o for o in command["options"]}
    assert set(subs) == {
        "add", "edit", "retire", "show", "list", "import", "export", "review", "log",
    }  # fmt: skip
    assert command["default_member_permissions"] == str(MANAGE_SERVER)  # hidden from members
    suggest = fake_discord.command("suggest")
    assert suggest["default_member_permissions"] is None and suggest.get("contexts") in (None, [0])
    assert {o["name"] for o in suggest["options"]} == {"track", "topic", "difficulty", "minutes"}
    for sub in subs.values():
        assert sub["description"]
        assert all(o["description"] for o in sub.get("options", []))
    add_options = {o["name"]: o for o in subs["add"]["options"]}
    assert add_options["topic"]["autocomplete"] is True and add_options["topic"]["max_length"] == 32
    assert add_options["minutes"]["min_value"] == 1
    assert subs["import"]["options"][0]["type"] == 11  # an attachment
    help_text = (
        await (await fake_discord.slash(world.bob, world.general, "help")).final_message()
    ).text()
    for line in ("/bank add", "/bank review", "/suggest", "/config show"):
        assert line in help_text


@pytest.mark.parametrize(
    ("sub", "options"),
    [
        ("add", ADD),
        ("edit", {"id": "whatever"}),
        ("retire", {"id": "whatever"}),
        ("show", {"id": "whatever"}),
        ("list", {}),
        ("export", {}),
        ("review", {}),
        ("log", {}),
    ],
)
async def test_members_are_refused(
    fake_discord: FakeDiscord,
    world: DefaultWorld,
    running: Running,
    sub: str,
    options: dict[str, Any],
) -> None:
    with pytest.raises(InvalidInteraction, match="lacks the permissions"):
        await bank(fake_discord, world.bob, world.general, sub, **options)  # Discord hides it
    # A server that lets everyone see /bank (Server Settings > Integrations): still refused.
    fake_discord.allow_command(world.guild, "bank", world.guild.roles[0])
    message = await (
        await bank(fake_discord, world.bob, world.general, sub, **options)
    ).final_message()
    assert message.ephemeral and message.content == NOT_A_MODERATOR


async def test_import_refused_for_members_without_download(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    attachment = fake_discord.upload("q.yaml", dump_questions([question("x-one")]).encode())
    fake_discord.allow_command(world.guild, "bank", world.guild.roles[0])  # seen by everyone
    message = await (
        await bank(fake_discord, world.bob, world.general, "import", file=attachment)
    ).final_message()
    assert message.content == NOT_A_MODERATOR
    assert not any("/attachments/" in r.path for r in fake_discord.requests)
    assert await guild_rows(running[0]) == []


# -- add, edit, retire, show -----------------------------------------------------------------


async def test_add_form_saves_an_active_question(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    modal = await open_form(fake_discord, world.alice, world.staff, "add", **ADD)
    shown = fields(modal)
    assert list(shown) == ["prompt", "reference_answer", "rubric", "hints", "follow_ups"]
    rubric = shown["rubric"]
    assert "::" in rubric["component"]["placeholder"] and "|" in rubric["component"]["placeholder"]
    assert "commas separate cues" in rubric["description"]
    assert shown["prompt"]["component"]["max_length"] == 1500
    reply = await submit(fake_discord, world.alice, world.staff, modal, FORM)
    assert reply.ephemeral and reply.content.startswith("Added `ml-interview-model-scores")
    assert reply.embeds[0]["description"] == FORM["prompt"]
    [row] = await guild_rows(app)
    assert row.status == "active" and row.body["rubric"][0]["weight"] == 2
    assert app.banks.for_guild(world.guild.id).get(row.question_id) is not None
    assert await audit_actions(app) == ["bank.add"]


async def test_add_with_errors_keeps_the_text_and_reopens_the_form(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    modal = await open_form(fake_discord, world.alice, world.staff, "add", id="my-q", **ADD)
    broken = dict(FORM, rubric="Only one point without separator", hints="a\nb\nc\nd")
    refusal = await submit(fake_discord, world.alice, world.staff, modal, broken)
    assert refusal.ephemeral and "Not saved" in refusal.content
    assert "Rubric line 1: separate the point from its cues with '::'" in refusal.content
    assert "Hints: 'hints' must have 1-3" in refusal.content
    draft = attachment_text(refusal, "question-draft.txt")
    assert FORM["prompt"] in draft and "Only one point without separator" in draft
    assert await guild_rows(app) == []

    [retry] = [c for c in refusal.custom_ids() if c.startswith("mlmock:bank:retry:")]
    reopened = await fake_discord.click(world.alice, refusal, retry)
    modal2 = (await reopened.response()).data
    assert modal2["custom_id"] == modal["custom_id"]
    assert fields(modal2)["rubric"]["component"]["value"] == broken["rubric"]
    assert fields(modal2)["prompt"]["component"]["value"] == FORM["prompt"]
    fixed = await submit(
        fake_discord, world.alice, world.staff, modal2, {"rubric": FORM["rubric"], "hints": "a"}
    )
    assert fixed.content.startswith("Added `my-q`")


async def test_form_left_open_across_a_restart_is_saved(
    fake_discord: FakeDiscord, world: DefaultWorld, bot_factory: BotFactory
) -> None:
    async with bot_factory():
        modal = await open_form(fake_discord, world.alice, world.staff, "add", **ADD)
    async with bot_factory() as (app, _):
        reply = await submit(fake_discord, world.alice, world.staff, modal, FORM)
        assert reply.content.startswith("Added")
        assert len(await guild_rows(app)) == 1


async def test_system_design_is_import_only(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    options = dict(ADD, track="system-design")
    member = await (
        await bank(fake_discord, world.bob, world.general, "suggest", **options)
    ).final_message()
    assert member.ephemeral and "ask a moderator to import" in member.content
    reply = await (
        await bank(fake_discord, world.alice, world.staff, "add", **options)
    ).final_message()
    assert reply.ephemeral and "/bank import" in reply.content and "phases" in reply.content


async def test_edit_is_prefilled_and_saves_changes(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    await import_file(fake_discord, world, "mine.yaml", dump_questions([question("mine")]).encode())
    modal = await open_form(
        fake_discord, world.alice, world.staff, "edit", id="mine", difficulty="hard"
    )
    shown = fields(modal)
    assert shown["prompt"]["component"]["value"] == "Prompt of mine"
    assert shown["rubric"]["component"]["value"] == (
        "Names overfitting :: overfitting|high variance\n"
        "Mentions cross-validation :: cross-validation|k-fold"
    )
    assert shown["hints"]["component"]["value"] == "Think about the gap.\nWhich error dominates?"
    reply = await submit(fake_discord, world.alice, world.staff, modal, {"prompt": "Better prompt"})
    assert reply.content == "Saved `mine`. Changed: difficulty, prompt."
    question_now = app.banks.for_guild(world.guild.id).get("mine")
    assert question_now is not None and question_now.prompt == "Better prompt"
    assert question_now.difficulty.value == "hard"
    assert await audit_actions(app) == ["bank.import", "bank.edit"]


async def test_edit_and_retire_refuse_bundled_questions(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    bundled_id = next(iter(running[0].banks.bundled)).id
    for sub in ("edit", "retire"):
        reply = await (
            await bank(fake_discord, world.alice, world.staff, sub, id=bundled_id)
        ).final_message()
        assert reply.ephemeral and "bundled question" in reply.content


async def test_retire_then_show(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    await import_file(fake_discord, world, "a.yaml", dump_questions([question("old-one")]).encode())
    reply = await (
        await bank(fake_discord, world.alice, world.staff, "retire", id="old-one")
    ).final_message()
    assert reply.content.startswith("Retired `old-one`")
    assert app.banks.for_guild(world.guild.id).get("old-one") is None
    assert app.banks.get("old-one") is not None
    shown = await (
        await bank(fake_discord, world.alice, world.staff, "show", id="old-one")
    ).final_message()
    assert shown.embeds[0]["author"]["name"] == "this server · retired"
    assert shown.embeds[1]["description"] == "||Reference for old-one||"
    unknown = await (
        await bank(fake_discord, world.alice, world.staff, "show", id="no-such-question")
    ).final_message()
    assert unknown.ephemeral and "No question `no-such-question`" in unknown.content


async def test_show_a_bundled_question_with_spoiler(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    q = running[0].banks.bundled.get("bv-diagnose-learning-curves") or next(
        iter(running[0].banks.bundled)
    )
    result = await bank(fake_discord, world.alice, world.staff, "show", id=q.id)
    messages = [await result.final_message()]
    embeds = [e for m in messages for e in m.embeds]
    if len(embeds) == 1:  # a long question: the reference answer follows in a second message
        embeds += (await result.followup(0)).embeds
    assert embeds[0]["title"] == q.id and embeds[0]["author"]["name"] == "bundled bank"
    assert embeds[1]["description"].startswith("||") and embeds[1]["description"].endswith("||")
    assert all(m.ephemeral for m in messages)


async def test_id_autocomplete_lists_own_questions_for_moderators(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    await import_file(
        fake_discord,
        world,
        "a.yaml",
        dump_questions([question("auto-one"), question("auto-two")]).encode(),
    )
    result = await fake_discord.autocomplete(
        world.alice, world.staff, "bank", subcommand="retire", focused="id", options={"id": "two"}
    )
    assert [c["value"] for c in await result.choices()] == ["auto-two"]
    with pytest.raises(InvalidInteraction):  # /bank is hidden from members
        await fake_discord.autocomplete(
            world.bob, world.general, "bank", subcommand="retire", focused="id", options={"id": "a"}
        )
    fake_discord.allow_command(world.guild, "bank", world.guild.roles[0])  # shown to everyone
    for sub in ("retire", "show"):  # ids, own or bundled, are still for moderators only
        member = await fake_discord.autocomplete(
            world.bob, world.general, "bank", subcommand=sub, focused="id", options={"id": "auto"}
        )
        assert await member.choices() == []


# -- list and paging -------------------------------------------------------------------------


async def test_list_pages_with_buttons_that_survive_a_restart(
    fake_discord: FakeDiscord, world: DefaultWorld, bot_factory: BotFactory
) -> None:
    questions = [question(f"page-{i:02}") for i in range(23)]
    async with bot_factory():
        await import_file(fake_discord, world, "many.yaml", dump_questions(questions).encode())
        listing = await (await bank(fake_discord, world.alice, world.staff, "list")).final_message()
        assert listing.ephemeral and listing.embeds[0]["footer"]["text"].startswith("Page 1 of 3")
        assert listing.embeds[0]["description"].count("`page-") == 10
        previous, nxt = listing.components[0]["components"]
        assert previous["disabled"] is True and nxt["disabled"] is False
        await (await fake_discord.click(world.alice, listing, nxt["custom_id"])).response()
        assert listing.embeds[0]["footer"]["text"].startswith("Page 2 of 3")
        assert "`page-10`" in listing.embeds[0]["description"]
    async with bot_factory():  # a new process: the same message's buttons still page
        nxt = listing.components[0]["components"][1]
        clicked = await fake_discord.click(world.alice, listing, nxt["custom_id"])
        assert (await clicked.response()).type == 7
        assert listing.embeds[0]["footer"]["text"].startswith("Page 3 of 3")
        assert listing.embeds[0]["description"].count("`page-") == 3
        assert listing.components[0]["components"][1]["disabled"] is True


async def test_list_filters_and_bundled(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    listing = await (
        await bank(
            fake_discord, world.alice, world.staff, "list", track="system-design", bundled=True
        )
    ).final_message()
    footer = listing.embeds[0]["footer"]["text"]
    assert "system-design · with bundled" in footer
    assert "· bundled" in listing.embeds[0]["description"]
    empty = await (await bank(fake_discord, world.alice, world.staff, "list")).final_message()
    assert "No questions match" in empty.embeds[0]["description"]


# -- import and export -----------------------------------------------------------------------


BAD_FILE = b"""\
questions:
  - id: good-one
    track: technical
    topic: bias-variance
    difficulty: easy
    minutes: 5
    prompt: Fine?
    reference_answer: Fine.
    rubric:
      - point: One
        cues: ["a"]
      - point: Two
        cues: ["b"]
  - id: broken-one
    track: technical
    topic: bias-variance
    difficulty: hardest
    minutes: 0
    prompt: Broken.
    reference_answer: x
    rubric:
      - point: One
        cues: ["a"]
"""


async def test_import_with_errors_names_the_lines_and_changes_nothing(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    reply = await import_file(fake_discord, world, "mixed.yaml", BAD_FILE)
    assert reply.ephemeral and "Import refused: 3 problems" in reply.content
    assert "mixed.yaml:17:17: broken-one: difficulty 'hardest' is not allowed" in reply.content
    assert "mixed.yaml:18:14: broken-one: 'minutes' must be a positive integer" in reply.content
    assert "mixed.yaml:22:7: broken-one: 'rubric' must have 2-8 points" in reply.content
    assert await guild_rows(running[0]) == []


async def test_many_import_problems_come_as_a_file(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    clash = running[0].banks.bundled
    ids = [q.id for q in list(clash)[:60]]
    data = dump_questions([dataclasses.replace(question("x"), id=i) for i in ids]).encode()
    reply = await import_file(fake_discord, world, "clash.yaml", data)
    assert "Import refused: 60 problems" in reply.content
    listing = attachment_text(reply, "import-problems.txt").splitlines()
    assert len(listing) == 60
    assert (
        listing[0].startswith("clash.yaml:2:9: ")
        and "already used by the bundled bank" in listing[0]
    )


async def test_oversized_attachment_is_refused_before_download(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    reply = await import_file(fake_discord, world, "huge.yaml", b"#" * (1024 * 1024 + 1))
    assert reply.ephemeral and "the limit is 1 MiB" in reply.content
    assert not any("/attachments/" in r.path for r in fake_discord.requests)


async def test_not_utf8_is_refused(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    reply = await import_file(fake_discord, world, "latin1.yaml", b"questions:\n  - id: caf\xe9\n")
    assert "not UTF-8 text (line 2)" in reply.content


async def test_export_then_import_round_trip_is_byte_identical(
    fake_discord: FakeDiscord, world: DefaultWorld, bot_factory: BotFactory
) -> None:
    admins = fake_discord.add_role(
        world.other_guild, "Admins", permissions=discord.Permissions(manage_guild=True)
    )
    world.dave.roles.append(admins)
    async with bot_factory() as (app, _):
        source = dump_questions([question("rt-one"), question("rt-two", topic="probability")])
        added = await import_file(fake_discord, world, "source.yaml", source.encode())
        assert added.content.startswith("Imported `source.yaml`: 2 added, 0 updated, 0 unchanged")
        modal = await open_form(fake_discord, world.alice, world.staff, "add", id="rt-form", **ADD)
        await submit(fake_discord, world.alice, world.staff, modal, FORM)

        async def export() -> bytes:
            result = await bank(fake_discord, world.alice, world.staff, "export")
            reply = await result.final_message()
            assert reply.ephemeral and reply.content.startswith("3 question(s)")
            [attachment] = reply.attachments
            assert attachment.filename == "ml-interview-prep-questions.yaml"
            return attachment.data

        first = await export()
        again = await import_file(fake_discord, world, "export.yaml", first)
        assert again.content.startswith("Imported `export.yaml`: 0 added, 0 updated, 3 unchanged")
        second = await export()
        assert second == first
        assert (await audit_actions(app)).count("bank.import") == 1  # the no-op is not logged

        # Another server importing the file: every id belongs to someone else.
        other = await (
            await fake_discord.slash(
                world.dave,
                world.lounge,
                "bank",
                subcommand="import",
                options={"file": fake_discord.upload("export.yaml", first)},
            )
        ).final_message()
        assert "Import refused: 3 problems" in other.content
        assert other.content.count("is already used by another server") == 3
        assert "export.yaml:2:9: rt-one: id 'rt-one'" in other.content


async def test_export_with_nothing_to_export(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    reply = await (await bank(fake_discord, world.alice, world.staff, "export")).final_message()
    assert "no active questions of its own" in reply.content and not reply.attachments


# -- suggestions and review ------------------------------------------------------------------


async def suggest(fake: FakeDiscord, w: DefaultWorld, prompt: str = FORM["prompt"]) -> FakeMessage:
    modal = await open_form(fake, w.bob, w.general, "suggest", **ADD)
    return await submit(fake, w.bob, w.general, modal, dict(FORM, prompt=prompt))


async def open_review(fake: FakeDiscord, w: DefaultWorld) -> FakeMessage:
    return await (await bank(fake, w.alice, w.staff, "review")).final_message()


def review_button(message: FakeMessage, action: str) -> str:
    return next(c for c in message.custom_ids() if c.startswith(f"mlmock:bank:review:{action}:"))


def dms_of(fake: FakeDiscord, member: Any) -> list[FakeMessage]:
    return fake.messages_in(fake.dm_channel(member))


async def test_suggest_review_approve_tells_the_author(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    thanks = await suggest(fake_discord, world)
    assert thanks.ephemeral and "waits for a moderator's review" in thanks.content
    [row] = await guild_rows(app)
    assert row.status == "pending" and app.banks.get(row.question_id) is None

    review = await open_review(fake_discord, world)
    assert review.ephemeral and review.embeds[0]["description"] == FORM["prompt"]
    assert "Suggestion by bob" in review.embeds[0]["author"]["name"]
    assert [c.split(":")[3] for c in review.custom_ids()] == ["approve", "edit", "reject"]
    approved = await fake_discord.click(world.alice, review, review_button(review, "approve"))
    assert (await approved.response()).type == 6
    await fake_discord.wait_until(
        lambda: "No more suggestions" in review.content or None, 5, "the review message to move on"
    )
    assert f"Approved `{row.question_id}`" in review.content and not review.components
    dm = await fake_discord.wait_for_message(lambda m: m.channel.recipient is world.bob.user)
    assert "was approved" in dm.content and row.question_id in dm.content
    assert app.banks.for_guild(world.guild.id).get(row.question_id) is not None
    assert await audit_actions(app) == ["bank.suggest", "bank.approve"]
    stale = await fake_discord.slash(world.alice, world.staff, "bank", subcommand="review")
    assert "No suggestions are waiting" in (await stale.final_message()).content


async def test_reject_with_reason_moves_on_and_tells_the_author(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    await suggest(fake_discord, world, "First suggestion about overfitting?")
    await suggest(fake_discord, world, "Second suggestion about variance?")
    review = await open_review(fake_discord, world)
    assert review.embeds[0]["description"] == "First suggestion about overfitting?"
    opened = await fake_discord.click(world.alice, review, review_button(review, "reject"))
    modal = (await opened.response()).data
    assert modal["custom_id"].startswith("mlmock:bank:reject:")
    await (
        await fake_discord.submit_modal(
            world.alice,
            world.staff,
            modal["custom_id"],
            {"reason": "Too close to an existing one."},
        )
    ).response()
    await fake_discord.wait_until(
        lambda: "Next suggestion" in review.content or None, 5, "the next suggestion"
    )
    assert review.embeds[0]["description"] == "Second suggestion about variance?"
    dm = await fake_discord.wait_for_message(lambda m: m.channel.recipient is world.bob.user)
    assert "was not accepted" in dm.content and "Too close to an existing one." in dm.content
    rows = await guild_rows(app)
    assert [r.status for r in rows] == ["rejected", "pending"]


class _Wake(logging.Handler):
    """Keeps INFO records and wakes the fake's waiters, so a test can wait for a log line."""

    def __init__(self, fake: FakeDiscord) -> None:
        super().__init__(logging.INFO)
        self.fake, self.records = fake, list[logging.LogRecord]()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.fake.notify()


async def test_closed_dms_do_not_stop_a_decision(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    fake_discord.refuse_dms(world.bob)
    await suggest(fake_discord, world)
    review = await open_review(fake_discord, world)
    logger = logging.getLogger("bot.features.bank.review")
    handler, level = _Wake(fake_discord), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        await (
            await fake_discord.click(world.alice, review, review_button(review, "approve"))
        ).response()
        line = await fake_discord.wait_until(
            lambda: next((r for r in handler.records if "could not DM" in r.getMessage()), None),
            5,
            "the INFO log line about the closed DMs",
        )
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert line.levelno == logging.INFO
    assert "Approved" in review.content
    assert [r.status for r in await guild_rows(running[0])] == ["active"]


async def test_edit_and_approve_from_the_review(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    await suggest(fake_discord, world)
    review = await open_review(fake_discord, world)
    opened = await fake_discord.click(world.alice, review, review_button(review, "edit"))
    modal = (await opened.response()).data
    assert fields(modal)["prompt"]["component"]["value"] == FORM["prompt"]
    await (
        await fake_discord.submit_modal(
            world.alice, world.staff, modal["custom_id"], {"prompt": "A clearer prompt?"}
        )
    ).response()
    await fake_discord.wait_until(lambda: "Approved" in review.content or None, 5, "approval")
    assert "with your edits (prompt)" in review.content
    [row] = await guild_rows(app)
    assert row.status == "active" and row.body["prompt"] == "A clearer prompt?"


async def test_review_buttons_recheck_the_moderator(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    await suggest(fake_discord, world)
    review = await (await bank(fake_discord, world.alice, world.general, "review")).final_message()
    world.alice.roles.clear()  # alice is no longer a moderator when she clicks
    clicked = await fake_discord.click(world.alice, review, review_button(review, "approve"))
    assert (await clicked.final_message()).content == NOT_A_MODERATOR
    assert [r.status for r in await guild_rows(running[0])] == ["pending"]


# -- guild questions in interviews, audit log ------------------------------------------------


async def test_guild_question_is_asked_when_bundled_questions_are_off(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    modal = await open_form(fake_discord, world.alice, world.staff, "add", id="our-own", **ADD)
    await submit(fake_discord, world.alice, world.staff, modal, FORM)
    off = await (
        await fake_discord.slash(
            world.alice,
            world.staff,
            "config",
            subcommand="bundled-questions",
            options={"enabled": "off"},
        )
    ).final_message()
    assert "only this server's 1" in off.content
    started = await fake_discord.slash(
        world.bob, world.interviews, "interview", subcommand="start", options={"track": "technical"}
    )
    assert "ready in" in (await started.followup(0)).content
    thread = fake_discord.threads(world.interviews)[-1]
    asked = await fake_discord.wait_for_message(lambda m: m.channel is thread and bool(m.embeds))
    assert asked.embeds[0]["description"] == FORM["prompt"]
    assert asked.embeds[0]["title"] == "Question 1 of 1"


async def test_log_shows_the_latest_changes(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    await import_file(fake_discord, world, "a.yaml", dump_questions([question("logged")]).encode())
    await (
        await bank(fake_discord, world.alice, world.staff, "retire", id="logged")
    ).final_message()
    log = await (await bank(fake_discord, world.alice, world.staff, "log", count=5)).final_message()
    text = log.embeds[0]["description"]
    lines = text.strip().splitlines()
    assert "**alice** retired `logged`" in lines[0]
    assert "**alice** imported a.yaml: 1 added, 0 updated" in lines[1]
    assert log.ephemeral

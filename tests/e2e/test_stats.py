"""/stats, /leaderboard and /history export end to end through the loopback fake."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.app import App
from bot.core.questions import Question, Track
from bot.discord.client import MockInterviewBot
from bot.storage.models import Streak
from tests.loopback import DefaultWorld, FakeDiscord, FakeMessage

Running = tuple[App, MockInterviewBot]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
BAD = "I am not sure."


def technical_questions(app: App, n: int) -> list[Question]:
    found = [q for q in app.banks.bundled if q.track is Track.TECHNICAL and q.rubric]
    return sorted(found, key=lambda q: q.id)[:n]


def strong_answer(question: Question) -> str:
    """The reference answer: the bank's gold standard scores it 4 (a bare list of cue words
    no longer does, since the scorer discounts stuffing)."""
    return question.reference_answer


async def seed(
    app: App,
    member: object,
    guild_id: int,
    texts: Sequence[str | None],
    *,
    mode: str = "round",
    started_at: datetime | None = None,
) -> int:
    """One-question results for ``member`` (None: a strong answer); returns the users.id."""
    discord_id = member.id  # type: ignore[attr-defined]
    uid = await app.interviews.ensure_user("discord", str(discord_id), member.name)  # type: ignore[attr-defined]
    questions = technical_questions(app, len(texts))
    for question, text in zip(questions, texts, strict=True):
        await app.interviews.record_result(
            uid,
            question,
            strong_answer(question) if text is None else text,
            mode=mode,
            guild_id=guild_id,
            started_at=started_at,
        )
    return uid


def fields(message: FakeMessage) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message.embeds[0].get("fields", [])}


async def test_commands_are_synced_with_descriptions(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    stats = fake_discord.command("stats")
    assert {o["name"] for o in stats["options"]} == {"member", "public"}
    leaderboard = fake_discord.command("leaderboard")
    options = {o["name"]: o for o in leaderboard["options"]}
    assert [c["value"] for c in options["period"]["choices"]] == ["week", "month", "all"]
    assert [c["name"] for c in options["metric"]["choices"]] == [
        "average score",
        "sessions",
        "streak",
    ]
    assert options["min_sessions"]["min_value"] == 1
    history = fake_discord.command("history")
    assert [o["name"] for o in history["options"]] == ["export"]
    for command in (stats, leaderboard, history):
        assert command["description"]
        assert all(o["description"] for o in command["options"])
    help_text = (
        await (await fake_discord.slash(world.bob, world.general, "help")).final_message()
    ).text()
    for name in ("/stats", "/leaderboard", "/history export"):
        assert name in help_text


async def test_own_stats_with_png_chart(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: object
) -> None:
    app, _ = running
    await seed(app, world.bob, world.guild.id, [None, BAD])
    await seed(app, world.bob, world.other_guild.id, [None], mode="panel")
    result = await fake_discord.slash(world.bob, world.general, "stats")
    assert (await result.response()).type == 5  # deferred: the chart renders in a thread
    message = await result.final_message()
    assert message.ephemeral and message.viewer is world.bob.user
    embed = message.embeds[0]
    assert embed["title"] == "Progress · bob"
    assert "every server" in embed["description"]
    assert embed["image"]["url"] == "attachment://progress.png"
    values = fields(message)
    assert values["Finished sessions"].startswith("**technical** · 3 (1 panel, 2 round)")
    assert "automatic 3.00 (3)" in values["Average score per track (answers)"]
    assert "Daily streak" in values and "Weakest topics" in values
    [attachment] = message.attachments
    assert attachment.filename == "progress.png"
    assert attachment.data.startswith(PNG_MAGIC) and len(attachment.data) > 1000
    for other in (world.alice, world.carol):  # private by default
        assert message not in fake_discord.visible_to(other)


async def test_stats_of_another_member_show_only_this_guild_and_can_be_public(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    await seed(app, world.bob, world.guild.id, [None])
    await seed(app, world.bob, world.other_guild.id, [BAD, BAD])
    result = await fake_discord.slash(
        world.alice, world.general, "stats", options={"member": world.bob, "public": True}
    )
    message = await result.final_message()
    assert not message.ephemeral and message.channel is world.general
    assert message.embeds[0]["description"] == "bob's practice in this server."
    assert fields(message)["Finished sessions"].startswith("**technical** · 1 (1 round)")
    assert "automatic 4.00 (1)" in fields(message)["Average score per track (answers)"]
    assert message.attachments[0].data.startswith(PNG_MAGIC)
    assert message in fake_discord.visible_to(world.carol)


async def test_stats_without_practice_and_for_bots(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    empty = await (await fake_discord.slash(world.carol, world.general, "stats")).final_message()
    assert empty.ephemeral and "no practice recorded yet" in empty.content
    other = await (
        await fake_discord.slash(
            world.carol, world.general, "stats", options={"member": world.alice}
        )
    ).final_message()
    assert "alice has no practice recorded in this server yet" in other.content
    bot_user = fake_discord.world.bot
    refused = await (
        await fake_discord.slash(world.carol, world.general, "stats", options={"member": bot_user})
    ).final_message()
    assert refused.ephemeral and "Bots" in refused.content


async def _league(app: App, world: DefaultWorld, clock: object) -> None:
    now = clock.now()  # type: ignore[attr-defined]
    await seed(app, world.alice, world.guild.id, [None, None, BAD], started_at=now)  # 3.00
    await seed(app, world.bob, world.guild.id, [None, None, None, None], started_at=now)  # 4.00
    await seed(app, world.carol, world.guild.id, [None], started_at=now)  # 1 session only
    await seed(app, world.dave, world.other_guild.id, [None] * 5, started_at=now)
    old = now - timedelta(days=40)
    await seed(app, world.carol, world.guild.id, [None] * 6, started_at=old)  # outside the month
    users = {
        name: await app.interviews.ensure_user("discord", str(m.id), name)
        for name, m in (("alice", world.alice), ("bob", world.bob), ("carol", world.carol))
    }
    async with app.db.transaction() as s:
        s.add(Streak(user_id=users["alice"], current=6, best=9, last_local_date=now.date()))
        s.add(Streak(user_id=users["carol"], current=2, best=2, last_local_date=now.date()))


async def test_leaderboard_average_score(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: object
) -> None:
    app, _ = running
    await _league(app, world, clock)
    result = await fake_discord.slash(
        world.carol,
        world.general,
        "leaderboard",
        options={"period": "week", "metric": "average"},
    )
    message = await result.final_message()
    assert message.ephemeral
    embed = message.embeds[0]
    assert embed["title"] == "Leaderboard · average score · this week"
    assert embed["description"].split("\n") == [
        f"**1.** <@{world.bob.id}> · 4.00 (4 sessions)",
        f"**2.** <@{world.alice.id}> · 3.00 (3 sessions)",
    ]
    values = fields(message)
    assert "at least 3 sessions" in values["Rules"] and "00:00 UTC" in values["Rules"]
    assert "Monday" in values["Rules"]
    assert values["You"] == "You have 1 of the 3 sessions needed to be ranked on average score."
    ranked = await (
        await fake_discord.slash(
            world.alice, world.general, "leaderboard", options={"metric": "average", "public": True}
        )
    ).final_message()
    assert not ranked.ephemeral and fields(ranked)["You"].startswith("You are **#2** of 2")


async def test_leaderboard_sessions_all_time(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: object
) -> None:
    app, _ = running
    await _league(app, world, clock)
    message = await (
        await fake_discord.slash(
            world.bob,
            world.general,
            "leaderboard",
            options={"period": "all", "metric": "sessions"},
        )
    ).final_message()
    embed = message.embeds[0]
    assert embed["title"] == "Leaderboard · sessions · all time"
    assert embed["description"].split("\n") == [
        f"**1.** <@{world.carol.id}> · 7 sessions",
        f"**2.** <@{world.bob.id}> · 4 sessions",
        f"**3.** <@{world.alice.id}> · 3 sessions",
    ]
    assert fields(message)["You"] == "You are **#2** of 3 · 4 sessions"
    assert str(world.dave.id) not in message.text()  # his practice was in the other server
    month = await (
        await fake_discord.slash(
            world.bob,
            world.general,
            "leaderboard",
            options={"period": "month", "metric": "sessions"},
        )
    ).final_message()
    assert month.embeds[0]["description"].split("\n")[0] == f"**1.** <@{world.bob.id}> · 4 sessions"


async def test_leaderboard_streak(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: object
) -> None:
    app, _ = running
    await _league(app, world, clock)
    message = await (
        await fake_discord.slash(
            world.bob, world.general, "leaderboard", options={"metric": "streak"}
        )
    ).final_message()
    embed = message.embeds[0]
    assert embed["title"] == "Leaderboard · daily streak"
    assert embed["description"].split("\n") == [
        f"**1.** <@{world.alice.id}> · 6 days (best 9)",
        f"**2.** <@{world.carol.id}> · 2 days (best 2)",
    ]
    assert fields(message)["You"] == "You have no current daily streak."
    assert "period does not apply" in fields(message)["Rules"]


async def test_leaderboard_is_not_offered_in_dms(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    assert fake_discord.command("leaderboard")["contexts"] == [0]


async def test_history_export_sends_a_private_csv(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    await seed(app, world.bob, world.guild.id, [None, 'He said "hi",\nthen left.'])
    result = await fake_discord.slash(world.bob, world.general, "history", subcommand="export")
    message = await result.final_message()
    assert message.ephemeral and message.viewer is world.bob.user
    assert "2 sessions with 2 answers, and 0 daily answers" in message.content
    [attachment] = message.attachments
    assert attachment.filename == f"mlmock-history-{world.bob.id}.csv"
    rows = list(csv.reader(io.StringIO(attachment.data.decode("utf-8-sig"), newline="")))
    assert rows[0][:3] == ["session_id", "started_at", "mode"] and len(rows) == 3
    assert rows[2][-1] == 'He said "hi",\nthen left.'
    assert {row[2] for row in rows[1:]} == {"round"}
    empty = await (
        await fake_discord.slash(world.carol, world.general, "history", subcommand="export")
    ).final_message()
    assert empty.ephemeral and "nothing to export" in empty.content and not empty.attachments


async def test_stats_in_dms_are_your_own(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    await seed(app, world.bob, world.guild.id, [None])
    dm = fake_discord.dm_channel(world.bob)
    own = await (await fake_discord.slash(world.bob, dm, "stats")).final_message()
    assert own.embeds[0]["title"] == "Progress · bob"
    assert own.attachments[0].data.startswith(PNG_MAGIC)
    other = await (
        await fake_discord.slash(world.bob, dm, "stats", options={"member": world.alice})
    ).final_message()
    assert "only be seen in a server" in other.content and not other.embeds


def test_stats_embed_stays_within_discord_limits_with_many_topics() -> None:
    from bot.core.stats import ScoredAnswer, Streak, build_member_stats
    from bot.features.stats.render import stats_embed

    answers = [
        ScoredAnswer(track, f"a-rather-long-topic-name-{n:03d}", 2, 3, 4)
        for n in range(150)
        for track in ("technical", "system-design")
    ]
    stats = build_member_stats([], answers, [], Streak(1, 2))
    embed = stats_embed(stats, name="x" * 40, scope="scope", has_chart=False)
    assert len(embed) <= 6000
    assert all(len(f.value or "") <= 1024 for f in embed.fields)
    topics = next(f.value for f in embed.fields if f.name.startswith("Average score per topic"))
    assert topics is not None and topics.endswith(
        "more topics (all of them are in /history export)"
    )

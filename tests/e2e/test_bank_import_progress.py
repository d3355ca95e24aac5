"""/bank import of a big file: the deferred reply shows how far the import is, then the outcome."""

from __future__ import annotations

import pytest

import bot.features.bank.progress as progress_module
from bot.app import App
from bot.core.bank import dump_questions
from bot.discord.client import MockInterviewBot
from tests.factories import question
from tests.loopback import DefaultWorld, FakeDiscord

Running = tuple[App, MockInterviewBot]


async def _import(fake: FakeDiscord, world: DefaultWorld, name: str, data: bytes) -> object:
    attachment = fake.upload(name, data, content_type="application/x-yaml")
    return await fake.slash(
        world.alice, world.staff, "bank", subcommand="import", options={"file": attachment}
    )


async def test_a_big_import_edits_the_reply_with_progress_then_the_outcome(
    fake_discord: FakeDiscord,
    world: DefaultWorld,
    running: Running,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(progress_module, "PROGRESS_FROM", 5)  # "big" from 6 questions here
    data = dump_questions([question(f"big-{i:02}") for i in range(12)]).encode()
    result = await _import(fake_discord, world, "big.yaml", data)
    assert (await result.response()).type == 5  # deferred first, within Discord's 3 s
    reply = await result.wait(
        lambda r: (
            r.original
            if r.original is not None and r.original.content.startswith("Imported")
            else None
        ),
        timeout=30,
    )
    assert reply.ephemeral and reply.viewer is world.alice.user
    assert reply.content.startswith("Imported `big.yaml`: 12 added, 0 updated, 0 unchanged")
    shown = [r["content"] for r in reply.revisions]
    assert shown and all(s.startswith(("Checking ", "Saving ", "Saved ")) for s in shown if s), (
        shown
    )
    assert any(s.startswith("Checking ") and s.endswith("of 12 questions…") for s in shown)
    assert result.followups == [] or result.followups == [reply]  # one message, edited in place

    # A small file still answers in one go, without progress.
    small = await _import(
        fake_discord, world, "small.yaml", dump_questions([question("s-1")]).encode()
    )
    message = await small.final_message()
    assert message.content.startswith("Imported `small.yaml`: 1 added")
    assert [r["content"] for r in message.revisions if r["content"]] == []


async def test_a_refused_big_import_replaces_the_progress_with_the_problems(
    fake_discord: FakeDiscord,
    world: DefaultWorld,
    running: Running,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(progress_module, "PROGRESS_FROM", 5)
    bundled_id = next(iter(running[0].banks.bundled)).id
    questions = [question(f"ok-{i:02}") for i in range(8)] + [question(bundled_id)]
    result = await _import(fake_discord, world, "clash.yaml", dump_questions(questions).encode())
    reply = await result.wait(
        lambda r: (
            r.original
            if r.original is not None and r.original.content.startswith("Import refused")
            else None
        ),
        timeout=30,
    )
    assert "already used by the bundled bank" in reply.content
    assert any(r["content"].startswith("Checking ") for r in reply.revisions)

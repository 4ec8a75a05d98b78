"""The emulator's files API as strict as Slack (issue 15): files.getUploadURLExternal, the upload URL and
files.completeUploadExternal, driven by slack_sdk's own ``files_upload_v2`` and by its three steps one at a time."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.emulators.slack import SlackEmulator
from tests.emulators.test_slack_emulator import client, emu

__all__ = ["client", "emu"]  # the fixtures, shared with the emulator's main tests
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


async def _start(client: AsyncWebClient, content: bytes, *, length: int | None = None) -> str:
    """Steps one and two: a file id whose bytes were sent (raises SlackRequestError when the upload is refused)."""
    step1 = await client.files_getUploadURLExternal(filename="chart.png", length=len(content) if length is None else length)
    async with aiohttp.ClientSession() as session:
        async with session.post(step1["upload_url"], data=content) as answer:
            if answer.status != 200:
                raise SlackRequestError(f"upload refused: {answer.status} {await answer.text()}")
    return str(step1["file_id"])


async def _refused(call: object) -> str:
    with pytest.raises(SlackApiError) as refused:
        await call  # type: ignore[misc]
    return str(refused.value.response["error"])


async def test_a_declared_length_that_does_not_match_the_bytes_is_refused(emu: SlackEmulator,
                                                                          client: AsyncWebClient) -> None:
    with pytest.raises(SlackRequestError, match="length_mismatch"):
        await _start(client, PNG, length=len(PNG) + 1)
    [stored] = emu.workspace.files.files.values()
    assert stored.content is None and not stored.completed
    # Completing it anyway: its bytes never came.
    assert await _refused(client.files_completeUploadExternal(files=[{"id": stored.id}], channel_id="C100")) == \
        "file_not_found"
    assert await _refused(client.files_getUploadURLExternal(filename="empty.png", length=0)) == "invalid_arguments"
    assert emu.messages("C100") == []


async def test_an_upload_never_completed_is_not_shared_and_completing_twice_is_refused(
        emu: SlackEmulator, client: AsyncWebClient) -> None:
    file_id = await _start(client, PNG)
    assert emu.messages("C100") == [] and emu.workspace.files.files[file_id].shares == {}
    emu.api.scopes |= {"files:read"}
    assert await _refused(client.files_info(file=file_id)) == "file_not_found"
    # The upload URL takes the bytes once.
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{emu.base_url}/upload/v1/{file_id}", data=PNG) as again:
            assert again.status == 404
    done = await client.files_completeUploadExternal(files=[{"id": file_id, "title": "Chart"}], channel_id="C100")
    assert done["files"] == [{"id": file_id, "title": "Chart"}]
    assert [m["files"][0]["id"] for m in emu.messages("C100")] == [file_id]
    assert await _refused(client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="C100")) == \
        "file_not_found"
    assert len(emu.messages("C100")) == 1  # not shared twice


async def test_without_a_channel_the_file_stays_private(emu: SlackEmulator, client: AsyncWebClient) -> None:
    response = await client.files_upload_v2(content=PNG, filename="chart.png", title="Chart")
    stored = emu.workspace.files.files[response["file"]["id"]]
    assert stored.completed and stored.shares == {}
    assert all(emu.messages(c) == [] for c in ("C100", "C200", "C300"))


async def test_sharing_needs_the_bot_in_the_channel_even_a_public_one(emu: SlackEmulator,
                                                                      client: AsyncWebClient) -> None:
    # With chat:write.public (not in Steward's manifest) chat.postMessage reaches #random without the bot in it;
    # an upload still does not.
    emu.api.scopes |= {"chat:write.public"}
    await client.chat_postMessage(channel="C300", text="posted")
    assert await _refused(client.files_upload_v2(channel="C300", content=PNG, filename="chart.png")) == "not_in_channel"
    # A private channel the bot is not in is one it cannot see at all: channel_not_found, as for chat.postMessage.
    assert await _refused(client.files_upload_v2(channel="C200", content=PNG, filename="chart.png")) == "channel_not_found"
    assert [m["text"] for m in emu.messages("C300")] == ["posted"]
    assert not any(f.completed for f in emu.workspace.files.files.values())


async def test_a_file_threads_under_an_existing_message_only(emu: SlackEmulator, client: AsyncWebClient) -> None:
    root = await client.chat_postMessage(channel="C100", text="Weekly report")
    response = await client.files_upload_v2(channel="C100", thread_ts=root["ts"], content=PNG, filename="chart.png",
                                            title="Chart")
    stored = emu.workspace.files.files[response["file"]["id"]]
    assert stored.content == PNG and stored.mimetype == "image/png" and stored.shares == {"C100": [stored.shares["C100"][0]]}
    [reply] = [m for m in emu.messages("C100") if m.get("thread_ts") == root["ts"] and m["ts"] != root["ts"]]
    assert reply["files"][0]["id"] == stored.id and reply["files"][0]["mimetype"] == "image/png"
    assert await _refused(client.files_upload_v2(channel="C100", thread_ts="1.000001", content=PNG,
                                                 filename="chart.png")) == "invalid_arguments"

"""Files uploaded through files.getUploadURLExternal → upload URL → files.completeUploadExternal."""

from __future__ import annotations

import mimetypes
import time
from dataclasses import dataclass, field

from bot.emulators.slack.errors import SlackError
from bot.emulators.slack.ids import IdFactory
from bot.emulators.slack.models import JsonDict


@dataclass
class StoredFile:
    id: str
    name: str
    length: int
    user: str
    title: str = ""
    content: bytes | None = None
    completed: bool = False
    created: int = field(default_factory=lambda: int(time.time()))
    shares: dict[str, list[str]] = field(default_factory=dict)

    @property
    def mimetype(self) -> str:
        return mimetypes.guess_type(self.name)[0] or "application/octet-stream"

    def to_api(self, base_url: str) -> JsonDict:
        return {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.name,
            "title": self.title or self.name,
            "mimetype": self.mimetype,
            "filetype": self.name.rsplit(".", 1)[-1] if "." in self.name else "binary",
            "user": self.user,
            "size": len(self.content or b""),
            "mode": "hosted",
            "is_external": False,
            "is_public": False,
            "url_private": f"{base_url}/files/{self.id}/{self.name}",
            "url_private_download": f"{base_url}/files/{self.id}/download/{self.name}",
            "channels": list(self.shares),
            "shares": {"private": {c: [{"ts": ts} for ts in tss] for c, tss in self.shares.items()}},
        }


@dataclass
class FileStore:
    ids: IdFactory = field(default_factory=IdFactory)
    files: dict[str, StoredFile] = field(default_factory=dict)

    def reserve(self, name: str, length: int, user: str) -> StoredFile:
        stored = StoredFile(id=self.ids.new("F"), name=name, length=length, user=user)
        self.files[stored.id] = stored
        return stored

    def receive(self, file_id: str, content: bytes) -> StoredFile | None:
        """The bytes sent to a file's upload URL, once. None when the URL is unknown, already used or completed.
        Raises SlackError("length_mismatch") when they are not the ``length`` declared for it."""
        stored = self.files.get(file_id)
        if stored is None or stored.completed or stored.content is not None:
            return None
        if len(content) != stored.length:
            raise SlackError("length_mismatch")
        stored.content = content
        return stored

    def uploaded(self, file_id: str) -> StoredFile:
        """A file whose bytes came and that is not completed yet. Raises SlackError("file_not_found") otherwise."""
        stored = self.files.get(file_id)
        if stored is None or stored.content is None or stored.completed:
            raise SlackError("file_not_found")
        return stored

    def complete(self, file_id: str, title: str | None) -> StoredFile:
        stored = self.uploaded(file_id)
        stored.completed = True
        stored.title = title or stored.name
        return stored

    def get(self, file_id: str | None) -> StoredFile:
        stored = self.files.get(file_id or "")
        if stored is None or not stored.completed:
            raise SlackError("file_not_found")
        return stored

"""A TCP proxy in front of the test PostgreSQL that can stop answering, as a hung server or a network partition
does: connections stay open, bytes sent are held, nothing comes back (no error a client could act on)."""

from __future__ import annotations

import asyncio
import contextlib

from psycopg.conninfo import conninfo_to_dict, make_conninfo


class StallingProxy:
    """``proxied = await proxy.start(dsn)``; clients of ``proxied`` reach ``dsn``'s server through the proxy.
    ``stall()`` holds every byte (both ways, and new connections) until ``resume()``; ``close()`` drops
    every connection (the server then ends their sessions, releasing their locks)."""

    def __init__(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []
        self._upstream: dict[str, object] = {}
        self.held = 0  # reads waiting for the stall to end

    async def start(self, dsn: str) -> str:
        params = conninfo_to_dict(dsn)
        host = str(params.get("host") or "127.0.0.1")
        port = int(params.get("port") or 5432)
        self._upstream = {"path": f"{host}/.s.PGSQL.{port}"} if host.startswith("/") else {"host": host, "port": port}
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        own_port = self._server.sockets[0].getsockname()[1]
        return make_conninfo(**{**params, "host": "127.0.0.1", "port": str(own_port)})

    def stall(self) -> None:
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in self._writers:
            writer.close()
        self._flowing.set()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        await self._gate()
        if "path" in self._upstream:
            up_reader, up_writer = await asyncio.open_unix_connection(str(self._upstream["path"]))
        else:
            up_reader, up_writer = await asyncio.open_connection(str(self._upstream["host"]), int(str(self._upstream["port"])))
        self._writers.append(up_writer)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _gate(self) -> None:
        if not self._flowing.is_set():
            self.held += 1
            try:
                await self._flowing.wait()
            finally:
                self.held -= 1

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await source.read(65536):
                await self._gate()
                sink.write(data)
                await sink.drain()
        sink.close()

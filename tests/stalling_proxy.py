"""A TCP proxy in front of the test PostgreSQL that can stop answering, as a hung server or a network partition
does: connections stay open, bytes sent are held, nothing comes back (no error a client could act on)."""

from __future__ import annotations

import asyncio
import contextlib

from psycopg.conninfo import conninfo_to_dict, make_conninfo


class StallingProxy:
    """``proxied = await proxy.start(dsn)``; clients of ``proxied`` reach ``dsn``'s server through the proxy.
    ``stall()`` holds every byte (both ways, and new connections) until ``resume()``; ``stall(answers_only=True)``
    lets requests through and holds the server's answers (a statement runs, and commits, but its client does not
    hear back); ``close()`` drops every connection (the server then ends their sessions, releasing their locks)."""

    def __init__(self) -> None:
        self._flowing = asyncio.Event()  # client -> server
        self._flowing.set()
        self._answering = asyncio.Event()  # server -> client
        self._answering.set()
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

    def stall(self, *, answers_only: bool = False) -> None:
        if not answers_only:
            self._flowing.clear()
        self._answering.clear()

    def resume(self) -> None:
        self._flowing.set()
        self._answering.set()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in self._writers:
            writer.close()
        self.resume()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        await self._gate(self._flowing)
        if "path" in self._upstream:
            up_reader, up_writer = await asyncio.open_unix_connection(str(self._upstream["path"]))
        else:
            up_reader, up_writer = await asyncio.open_connection(str(self._upstream["host"]), int(str(self._upstream["port"])))
        self._writers.append(up_writer)
        for source, sink, gate in ((reader, up_writer, self._flowing), (up_reader, writer, self._answering)):
            task = asyncio.create_task(self._pipe(source, sink, gate))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _gate(self, gate: asyncio.Event) -> None:
        if not gate.is_set():
            self.held += 1
            try:
                await gate.wait()
            finally:
                self.held -= 1

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, gate: asyncio.Event) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await source.read(65536):
                await self._gate(gate)
                sink.write(data)
                await sink.drain()
        sink.close()

"""A loopback TCP port relaying every connection to a database server (its Unix socket, or
its host and port): the network between the service and a database, which a test can cut
(every open connection dropped, every new one reset as soon as it is made), stall (nothing
gets through any more, both ways, and nothing is closed: a server that stopped answering, or
a network that lost its way) and mend. Connections are counted, cut or not, so a test can
tell whether the service tried to reach the database at all. It can also lose the answer to
the next COMMIT (the server commits, and the client's connection is dropped before a byte of
the answer reaches it), or the next COMMIT itself (the connection is dropped before the
server has it: nothing is committed), or hold the next COMMIT (the client's connection is
dropped, and the COMMIT reaches the server only when the test releases it: a commit still
under way while the client has already given up on it)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from sqlalchemy.engine import URL

__all__ = ["SocketRelay", "relayed_url", "socket_of"]

HOST = "127.0.0.1"

# A COMMIT as asyncpg sends it (a simple query): what ``lose_the_next_commit_answer`` watches.
COMMIT = b"Q\x00\x00\x00\x0cCOMMIT;\x00"


def socket_of(url: URL) -> Path | tuple[str, int]:
    """Where a PostgreSQL URL's server listens: its Unix socket, or its host and port."""
    port = url.port or 5432
    directory = url.query.get("host")
    if isinstance(directory, str) and directory.startswith("/"):
        return Path(directory) / f".s.PGSQL.{port}"
    return (url.host or "localhost", port)


def relayed_url(url: URL, port: int) -> URL:
    """``url`` reached through a relay listening on ``port``."""
    return url.set(host=HOST, port=port, query={k: v for k, v in url.query.items() if k != "host"})


class SocketRelay:
    def __init__(self, target: Path | tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self.attempts = 0  # connections made to the relay, cut or relayed
        self._cut = False
        self._stalled = False
        self._relayed_before_cut: int | None = None
        self._lose_commit_answer = False
        self._lose_commit = False
        self._hold_commit = False
        self.commit_answers_lost = 0
        self.commits_lost = 0
        self.commit_held = asyncio.Event()  # a COMMIT is held, its client's connection dropped
        self._held_commit_released = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task[None]] = set()

    async def open(self, port: int = 0) -> int:
        """Listen on a port of the loopback (``port``, or one free); the port."""
        self._server = await asyncio.start_server(self._relay, HOST, port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def cut(self) -> None:
        """Drop every open connection; reset every new one as soon as it is made."""
        self._cut = True
        for writer in list(self._writers):
            writer.transport.abort()
        for pump in list(self._pumps):
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)

    def cut_after(self, connections: int) -> None:
        """Mend, relay the next ``connections`` new connections, then cut: a database that
        answers a first look and is gone by the next."""
        self._cut, self._relayed_before_cut = False, connections

    def stall(self) -> None:
        """Let nothing through any more, on open connections and new ones alike."""
        self._stalled = True

    def lose_the_next_commit_answer(self) -> None:
        """The next COMMIT sent through reaches the server, which commits; the server's
        answer is read and dropped, and so is the client's connection."""
        self._lose_commit_answer = True

    def lose_the_next_commit(self) -> None:
        """The next COMMIT sent through never reaches the server (which rolls back as the
        connection, dropped both ways, ends)."""
        self._lose_commit = True

    def hold_the_next_commit(self) -> None:
        """The next COMMIT sent through is held: its client's connection is dropped at once,
        while the server's session stays open, in its transaction and holding its locks, until
        ``release_the_held_commit``. The server then commits, and its answer is read and
        dropped."""
        self.commit_held.clear()
        self._held_commit_released.clear()
        self._hold_commit = True

    def release_the_held_commit(self) -> None:
        self._held_commit_released.set()

    def mend(self) -> None:
        """Relay new connections again."""
        self._cut = self._stalled = False
        self._relayed_before_cut = None

    async def close(self) -> None:
        await self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.attempts += 1
        if self._relayed_before_cut == 0:
            self._relayed_before_cut = None
            await self.cut()
        elif self._relayed_before_cut is not None:
            self._relayed_before_cut -= 1
        if self._cut:
            writer.transport.abort()
            return
        if self._stalled:  # held open, never answered
            self._writers.add(writer)
            with contextlib.suppress(OSError):
                while await reader.read(65536):
                    pass
            self._writers.discard(writer)
            return
        try:
            if isinstance(self.target, Path):
                upstream_reader, upstream_writer = await asyncio.open_unix_connection(self.target)
            else:
                upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, upstream_writer))
        commit = _Commit(writer)
        pumps = [
            asyncio.ensure_future(self._pump(reader, upstream_writer, commit)),
            asyncio.ensure_future(self._pump(upstream_reader, writer, commit, answers=True)),
        ]
        self._pumps.update(pumps)
        try:
            await asyncio.gather(*pumps, return_exceptions=True)
        finally:
            self._pumps.difference_update(pumps)
            for end in (writer, upstream_writer):
                self._writers.discard(end)
                end.transport.abort()

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        commit: _Commit,
        *,
        answers: bool = False,
    ) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await source.read(65536):
                if answers and commit.answer_lost.is_set():
                    # The server answered the COMMIT: it is made. Its answer never arrives.
                    self.commit_answers_lost += 1
                    commit.answered.set()
                    break
                if answers and commit.held:
                    continue  # what the server says meanwhile has no client to go to
                if not answers and self._lose_commit and data.endswith(COMMIT):
                    self._lose_commit = False
                    self.commits_lost += 1
                    break
                if not answers and self._hold_commit and data.endswith(COMMIT):
                    self._hold_commit = False
                    await self._held(commit, data, sink)
                    continue  # the client's end is closed: its next read ends the pump
                if not answers and self._lose_commit_answer and data.endswith(COMMIT):
                    self._lose_commit_answer = False
                    commit.answer_lost.set()
                if not self._stalled:  # stalled: what comes is swallowed
                    sink.write(data)
                    await sink.drain()
        if answers:
            commit.answered.set()  # or never will be: the server's end ended
        sink.transport.abort()  # one side ended: the whole connection ends, both ways

    async def _held(self, commit: _Commit, data: bytes, server: asyncio.StreamWriter) -> None:
        """Drop the client's connection, hold its COMMIT until released, then send it and wait
        for the server's answer (which is dropped), so the server has it before its session
        ends."""
        commit.held = True
        commit.client.transport.abort()
        self.commit_held.set()
        await self._held_commit_released.wait()
        commit.answer_lost.set()
        server.write(data)
        await server.drain()
        await commit.answered.wait()


class _Commit:
    """One relayed connection's COMMIT, when the relay loses its answer or holds it."""

    def __init__(self, client: asyncio.StreamWriter) -> None:
        self.client = client
        self.held = False  # the client is gone, the COMMIT waits to be released
        self.answer_lost = asyncio.Event()  # the COMMIT went out; its answer is not passed on
        self.answered = asyncio.Event()  # the server's answer to it was read

"""The servers ``bench.http`` measures, each its own process: ``evidence-ledger serve`` (one
process, or ``--workers N`` where serve has it) and the bare route (``bench._bare``); and the
load generator (``bench._http_load``), run as a process of its own too."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench._http_load import LoadResult, LoadSpec

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_healthy(base: str, server: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited ({server.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"/healthz did not answer 200 within {seconds:.0f} s:\n{log.read_text()}")


def _stop(server: subprocess.Popen[bytes], log: Path) -> bool:
    """SIGTERM, as a process manager would; SIGKILL only if it does not stop in time.

    Whether it shut down cleanly: uvicorn finishes its requests and the lifespan, then
    re-raises the signal, so a clean stop exits by SIGTERM with the lifespan's goodbye logged.
    """
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            return False
    return server.returncode == 0 and "shutdown complete" in log.read_text()


@dataclass(frozen=True)
class Server:
    base: str
    pid: int


@dataclass(frozen=True)
class Cores:
    """Which CPUs the servers and the load generator run on (``taskset``): the generator on
    the last core and the servers on the others, when there are two or more and ``taskset``
    exists; anywhere otherwise."""

    server: str | None
    load: str | None

    @classmethod
    def split(cls) -> Cores:
        count = os.cpu_count() or 1
        if count < 2 or shutil.which("taskset") is None:
            return cls(None, None)
        return cls(f"0-{count - 2}" if count > 2 else "0", str(count - 1))

    @staticmethod
    def pinned(cpus: str | None, command: list[str]) -> list[str]:
        return command if cpus is None else ["taskset", "-c", cpus, *command]


def _console_script() -> str:
    return str(Path(sys.executable).with_name("evidence-ledger"))


def serve_has_workers() -> bool:
    """Whether ``serve`` takes ``--workers`` (several processes on one database)."""
    done = subprocess.run(
        [_console_script(), "serve", "--help"], capture_output=True, text=True, check=False
    )
    return "--workers" in done.stdout


@contextmanager
def _running(command: list[str], log: Path, clean_stop: bool) -> Iterator[Server]:
    port = _free_port()
    with log.open("wb") as output:
        server = subprocess.Popen(
            [part.replace("{port}", str(port)) for part in command],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        try:
            base = f"http://{HOST}:{port}"
            _wait_healthy(base, server, log, 60.0)
            yield Server(base, server.pid)
        finally:
            if not _stop(server, log) and clean_stop:
                print(
                    f"  the server did not stop cleanly ({server.returncode}):\n{log.read_text()}",
                    file=sys.stderr,
                )


def serving(
    url: str, log: Path, cores: Cores, workers: int | None = None, options: Sequence[str] = ()
) -> Any:
    """``evidence-ledger serve`` on a free port, as its own process, stopped on the way out
    (``workers``: ``--workers N``, for a serve that has it; ``options``: more of its own)."""
    command = [_console_script(), "serve", "--database", url, "--host", HOST, "--port", "{port}"]
    if workers is not None:
        command += ["--workers", str(workers)]
    command += options
    return _running(Cores.pinned(cores.server, command), log, clean_stop=True)


def serving_bare(body: bytes, workdir: Path, cores: Cores) -> Any:
    """The bare route (``bench._bare``) answering ``body``, under the same uvicorn."""
    body_file = workdir / "bare-body.json"
    body_file.write_bytes(body)
    command = [sys.executable, "-m", "bench._bare", "{port}", str(body_file)]
    return _running(Cores.pinned(cores.server, command), workdir / "bare.log", clean_stop=False)


def generate_load(spec: LoadSpec, cores: Cores) -> LoadResult:
    """Run the load generator as its own process (on its own core) and read its result."""
    done = subprocess.run(
        Cores.pinned(cores.load, [sys.executable, "-m", "bench._http_load"]),
        input=spec.to_json(),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=2 * spec.time_limit + 120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed ({done.returncode}):\n{done.stderr}")
    return LoadResult.from_json(done.stdout)

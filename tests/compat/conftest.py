"""Fixtures for the official-MLflow-client compatibility suite.

A session-wide fixture starts the real ``cairn server`` binary (``$CAIRN_BIN``
or ``target/debug/cairn``) on a free loopback port over a temporary SQLite
store and artifact directory, points ``MLFLOW_TRACKING_URI`` at it, and stops
it with SIGTERM at the end (checking that it exits cleanly).

Each test gets its own experiment (``experiment_id``), so tests never see each
other's runs and can assert exact search results.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

# The client must fail fast on a server error instead of retrying with
# backoff for minutes, and must not try to reach the internet.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
os.environ.pop("MLFLOW_EXPERIMENT_NAME", None)
os.environ.pop("MLFLOW_RUN_ID", None)

import mlflow  # noqa: E402
import pytest  # noqa: E402
from mlflow import MlflowClient  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cairn_bin() -> Path:
    path = Path(os.environ.get("CAIRN_BIN", REPO_ROOT / "target" / "debug" / "cairn"))
    if not path.is_file():
        pytest.exit(
            f"cairn binary not found at {path}: run `cargo build` or set CAIRN_BIN",
            returncode=2,
        )
    return path


class CairnServer:
    """A running ``cairn server`` process."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.artifacts = workdir / "artifacts"
        self.log_path = workdir / "server.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [
                str(_cairn_bin()),
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--backend-store-uri",
                f"sqlite:///{workdir / 'cairn.db'}",
                "--artifacts-destination",
                str(self.artifacts),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"cairn server exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"cairn server not ready after {timeout}s:\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


@pytest.fixture(scope="session")
def cairn_server():
    with tempfile.TemporaryDirectory(prefix="cairn-compat-") as tmp:
        server = CairnServer(Path(tmp))
        old_uri = os.environ.get("MLFLOW_TRACKING_URI")
        os.environ["MLFLOW_TRACKING_URI"] = server.url
        mlflow.set_tracking_uri(server.url)
        try:
            yield server
        finally:
            if old_uri is None:
                os.environ.pop("MLFLOW_TRACKING_URI", None)
            else:
                os.environ["MLFLOW_TRACKING_URI"] = old_uri
            code = server.stop()
            log = server.log_path.read_text(errors="replace")
            # Surface server-side panics/500s even when every test passed.
            assert code == 0, f"cairn server exited with {code} on SIGTERM:\n{log}"
            assert "panicked" not in log, f"cairn server panicked:\n{log}"


@pytest.fixture
def client(cairn_server) -> MlflowClient:
    return MlflowClient(tracking_uri=cairn_server.url)


@pytest.fixture
def unique_name():
    def make(prefix: str = "exp") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:12]}"

    return make


@pytest.fixture
def experiment_id(client, unique_name) -> str:
    """A fresh experiment for this test only."""
    return client.create_experiment(unique_name("compat"))


@pytest.fixture(autouse=True)
def _isolate_fluent_state():
    """End leaked fluent runs and forget ``mlflow.set_experiment`` between
    tests (the fluent API keeps both in process globals and the env)."""
    yield
    while mlflow.active_run() is not None:
        mlflow.end_run()
    import mlflow.tracking.fluent as fluent

    fluent._active_experiment_id = None
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)

"""Launcher life cycle against a stand-in for the LocalStack runtime (a tiny HTTP server process).

The stand-in replaces ``runtime_command`` so these tests run in a second or two without LocalStack;
``tests/e2e`` exercises the real runtime.
"""

import json
import os
import socket
import subprocess
import sys
import time

import psutil
import pytest

from sagewatch.localstack import process
from sagewatch.localstack.launcher import LauncherError, down, logs, main, status, up

FAKE_RUNTIME = r"""
import json, os, signal, subprocess, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer

mode = os.environ.get("FAKE_MODE", "ok")
print("fake runtime starting in mode", mode, flush=True)
if mode == "die":
    print("fatal: cannot initialise", flush=True)
    sys.exit(3)
if mode == "ignore-term":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])  # same process group
host, port = os.environ["GATEWAY_LISTEN"].split(":")

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if mode == "silent":
            self.send_response(503); self.end_headers(); return
        if self.path == "/_localstack/health":
            body = {"services": {}, "version": "4.13.1"}
        elif self.path == "/_sagewatch/health" and mode != "no-plugin":
            body = {"status": "ok", "version": "test"}
        else:
            self.send_response(404); self.end_headers(); return
        data = json.dumps(body).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
    def log_message(self, *args):
        pass

HTTPServer((host, int(port)), Handler).serve_forever()
"""


@pytest.fixture
def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def fake_runtime(monkeypatch):
    monkeypatch.setattr(process, "runtime_command", lambda: [sys.executable, "-c", FAKE_RUNTIME])
    monkeypatch.setenv("FAKE_MODE", "ok")
    return monkeypatch


@pytest.fixture
def state(tmp_path):
    state_dir = tmp_path / "state"
    yield state_dir
    down(state_dir=state_dir, timeout=2)  # never leave a process behind, whatever the test did


def _group_members(pgid):
    members = []
    for proc in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(proc.info["pid"]) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                members.append(proc.info["pid"])
        except (ProcessLookupError, psutil.Error):
            continue
    return members


def test_status_when_never_started(tmp_path, free_port):
    info = status(free_port, tmp_path / "nothing")
    assert info["running"] is False
    assert info["healthy"] is False
    assert info["pid"] is None
    assert info["port"] == free_port
    assert info["port_in_use"] is False
    assert info["endpoint"] == f"http://127.0.0.1:{free_port}"


def test_status_reports_port_in_use_by_someone_else(tmp_path):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        info = status(server.getsockname()[1], tmp_path)
    assert info["running"] is False
    assert info["port_in_use"] is True


def test_status_removes_stale_record(tmp_path, free_port):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "instance.json").write_text(json.dumps({"pid": dead.pid, "create_time": 1.0, "port": free_port}))
    (tmp_path / "localstack.pid").write_text(f"{dead.pid}\n")
    assert status(free_port, tmp_path)["running"] is False
    assert not (tmp_path / "instance.json").exists()
    assert not (tmp_path / "localstack.pid").exists()


def test_record_of_reused_pid_is_not_ours(tmp_path, free_port):
    # Our own pid with another start time: a pid reused by an unrelated process must never be signalled.
    record = {"pid": os.getpid(), "create_time": 12345.0, "port": free_port}
    (tmp_path / "instance.json").write_text(json.dumps(record))
    assert down(state_dir=tmp_path) == {"stopped": False, "pid": None, "killed": False}
    assert status(free_port, tmp_path)["running"] is False


def test_down_when_not_running(tmp_path):
    assert down(state_dir=tmp_path) == {"stopped": False, "pid": None, "killed": False}


def test_up_refuses_port_taken_by_another_program(fake_runtime, state):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with pytest.raises(LauncherError, match=f"Port {port} on 127.0.0.1 is already in use by another program"):
            up(port, state, timeout=5)
    assert not (state / "instance.json").exists()


def test_up_refuses_port_taken_by_foreign_localstack(fake_runtime, tmp_path, free_port):
    up(free_port, tmp_path / "theirs", timeout=10)
    try:
        with pytest.raises(LauncherError, match="already used by a LocalStack with the sagewatch plugin"):
            up(free_port, tmp_path / "ours", timeout=5)
    finally:
        down(state_dir=tmp_path / "theirs", timeout=2)


def test_up_status_down_life_cycle(fake_runtime, state, free_port):
    started = up(free_port, state, timeout=10)
    assert started["already_running"] is False
    assert started["running"] and started["healthy"] and started["plugin"]
    assert started["startup_seconds"] >= 0
    pid = started["pid"]
    assert (state / "localstack.pid").read_text().strip() == str(pid)
    assert os.getpgid(pid) == pid  # its own process group
    assert len(_group_members(pid)) == 2  # the runtime and the child it spawned

    again = up(free_port, state, timeout=10)
    assert again["already_running"] is True
    assert again["pid"] == pid

    info = status(state_dir=state)  # port read from the record
    assert info["running"] and info["healthy"] and info["plugin"]
    assert info["port"] == free_port
    assert info["sagewatch_version"] == "test"
    assert "fake runtime starting" in logs(state_dir=state)

    stopped = down(state_dir=state, timeout=5)
    assert stopped == {"stopped": True, "pid": pid, "killed": False}
    assert _group_members(pid) == []  # the child went too
    assert not (state / "localstack.pid").exists()
    assert status(free_port, state)["port_in_use"] is False
    assert down(state_dir=state) == {"stopped": False, "pid": None, "killed": False}


def test_up_on_other_port_while_running_is_refused(fake_runtime, state, free_port):
    up(free_port, state, timeout=10)
    with pytest.raises(LauncherError, match=f"already runs on port {free_port}"):
        up(free_port + 1 if free_port < 65535 else free_port - 1, state, timeout=5)


def test_up_without_port_accepts_the_running_instance(fake_runtime, state, free_port):
    fake_runtime.delenv("SAGEWATCH_LOCALSTACK_PORT", raising=False)
    pid = up(free_port, state, timeout=10)["pid"]
    again = up(state_dir=state, timeout=10)
    assert (again["already_running"], again["pid"], again["port"]) == (True, pid, free_port)


def test_up_reports_log_tail_when_runtime_dies(fake_runtime, state, free_port):
    fake_runtime.setenv("FAKE_MODE", "die")
    with pytest.raises(LauncherError) as info:
        up(free_port, state, timeout=10)
    message = str(info.value)
    assert "exited during start-up" in message
    assert "fatal: cannot initialise" in message
    assert not (state / "instance.json").exists()


def test_up_times_out_and_stops_the_runtime(fake_runtime, state, free_port):
    fake_runtime.setenv("FAKE_MODE", "silent")
    with pytest.raises(LauncherError, match=r"did not answer GET .* within 1 s; it was stopped") as info:
        up(free_port, state, timeout=1)
    assert "fake runtime starting in mode silent" in str(info.value)
    assert not (state / "instance.json").exists()
    deadline = time.monotonic() + 5
    while not process.is_port_free(free_port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert process.is_port_free(free_port)


def test_up_fails_when_plugin_is_missing(fake_runtime, state, free_port):
    fake_runtime.setenv("FAKE_MODE", "no-plugin")
    with pytest.raises(LauncherError, match="sagewatch plugin did not load"):
        up(free_port, state, timeout=10)


def test_down_kills_after_grace_period(fake_runtime, state, free_port):
    fake_runtime.setenv("FAKE_MODE", "ignore-term")
    pid = up(free_port, state, timeout=10)["pid"]
    result = down(state_dir=state, timeout=0.5)
    assert result == {"stopped": True, "pid": pid, "killed": True}
    assert _group_members(pid) == []


def test_up_rejects_non_positive_timeout(state):
    with pytest.raises(LauncherError, match="timeout must be positive"):
        up(4599, state, timeout=0)


def test_logs_tail(tmp_path):
    (tmp_path / "localstack.log").write_text("one\ntwo\nthree\n")
    assert logs(state_dir=tmp_path, lines=2) == "two\nthree"
    assert logs(state_dir=tmp_path) == "one\ntwo\nthree\n"


def test_cli_up_status_down(fake_runtime, state, free_port, capsys):
    common = ["--port", str(free_port), "--state-dir", str(state)]
    assert main(["up", *common, "--timeout", "10"]) == 0
    assert f"LocalStack is ready at http://127.0.0.1:{free_port}" in capsys.readouterr().out
    assert main(["up", *common]) == 0
    assert "already running" in capsys.readouterr().out
    assert main(["status", *common, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["healthy"] is True
    assert main(["down", *common]) == 0
    assert "LocalStack stopped" in capsys.readouterr().out
    assert main(["down", *common]) == 0
    assert "nothing to stop" in capsys.readouterr().out
    assert main(["status", *common]) == 3


def test_cli_reports_errors_on_stderr(fake_runtime, state, capsys):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert main(["up", "--port", str(server.getsockname()[1]), "--state-dir", str(state)]) == 1
    assert capsys.readouterr().err.startswith("error: Port ")


def test_module_entry_point_help():
    result = subprocess.run([sys.executable, "-m", "sagewatch.localstack", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "{up,down,status,logs}" in result.stdout

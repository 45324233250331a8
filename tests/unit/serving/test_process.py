"""Host-process helpers (sagewatch.serving.process)."""

import subprocess
import sys

import pytest

from sagewatch.errors import InvalidParameterError
from sagewatch.serving.errors import ServerStartError
from sagewatch.serving.process import find_free_port, server_command, wait_until_ready


def test_server_command_passes_folders_as_model_dir_and_the_rest_as_model_data(tmp_path):
    assert server_command(tmp_path, 8081, python="py", workers=2, extra_args=["--log-level", "DEBUG"]) == [
        "py", "-P", "-m", "sagewatch.serving", "--model-dir", str(tmp_path), "--port", "8081", "--host", "127.0.0.1",
        "--workers", "2", "--log-level", "DEBUG"]
    assert server_command(tmp_path / "model.tar.gz", 8081)[4:6] == ["--model-data", str(tmp_path / "model.tar.gz")]
    assert server_command("file:///m.tar.gz", 1)[0] == sys.executable


@pytest.mark.parametrize("port", [0, 65536])
def test_server_command_needs_a_real_port(port):
    with pytest.raises(InvalidParameterError, match="see find_free_port"):
        server_command("m", port)


def test_wait_until_ready_times_out_on_a_closed_port():
    port = find_free_port()
    with pytest.raises(ServerStartError) as caught:
        wait_until_ready(port, timeout=0.3)
    assert str(caught.value) == f"The model server on 127.0.0.1:{port} was not ready within 0.3 s."


def test_wait_until_ready_reports_an_exited_process_with_its_stderr():
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.stderr.write('boom\\n'); sys.exit(3)"],
                               stderr=subprocess.PIPE)
    process.wait()
    with pytest.raises(ServerStartError) as caught:
        wait_until_ready(find_free_port(), timeout=5, process=process)
    assert str(caught.value) == "The model server exited with status 3 before it was ready.\nboom"


def test_wait_until_ready_treats_an_answer_cut_short_as_not_ready():
    """A server that dies while answering /ping (IncompleteRead) is "not ready yet", never an escaping error."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def answer_half():
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connection.recv(1024)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 28\r\n\r\n")
            connection.close()

    thread = threading.Thread(target=answer_half, daemon=True)
    thread.start()
    try:
        with pytest.raises(ServerStartError, match="not ready within"):
            wait_until_ready(port, timeout=0.5)
    finally:
        listener.close()

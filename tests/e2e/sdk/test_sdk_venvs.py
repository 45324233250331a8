"""The SDK venv cache (sdk_venvs.py) on its own: no LocalStack and no package index needed (not marked e2e).

The requirements files here install nothing (comments only) or fail offline (``--no-index``), so the venvs are
real but small.
"""

from __future__ import annotations

import subprocess
import threading

import pytest
from sdk_venvs import STAMP, SdkVenvError, ensure_venv, venv_key


def _requirements(path, text):
    path.write_text(text)
    return path


def test_venv_is_made_once_and_reused_until_the_requirements_change(tmp_path):
    cache = tmp_path / "cache"
    requirements = _requirements(tmp_path / "requirements-t.txt", "# nothing to install\n")
    python = ensure_venv("t", requirements, cache=cache)
    folder = python.parents[1]
    assert folder.name == f"t-{venv_key(requirements)}"
    assert (folder / STAMP).read_text() == "# nothing to install\n"
    assert subprocess.run([str(python), "-c", "import sys; print(sys.prefix != sys.base_prefix)"],
                          capture_output=True, text=True, check=True).stdout.strip() == "True"
    (folder / "marker").write_text("kept")

    assert ensure_venv("t", requirements, cache=cache) == python
    assert (folder / "marker").read_text() == "kept"

    requirements.write_text("# still nothing, but another pin set\n")
    changed = ensure_venv("t", requirements, cache=cache)
    assert changed != python and changed.parents[1].name == f"t-{venv_key(requirements)}"
    assert not folder.exists()  # the stale venv of the same name is gone
    assert sorted(p.name for p in cache.iterdir() if p.is_dir()) == [changed.parents[1].name]


def test_half_built_venv_is_rebuilt(tmp_path):
    cache = tmp_path / "cache"
    requirements = _requirements(tmp_path / "requirements-t.txt", "# nothing\n")
    folder = ensure_venv("t", requirements, cache=cache).parents[1]
    (folder / STAMP).unlink()  # as if the install had been interrupted
    (folder / "marker").write_text("from the interrupted build")
    python = ensure_venv("t", requirements, cache=cache)
    assert python.parents[1] == folder and (folder / STAMP).is_file()
    assert not (folder / "marker").exists()


def test_failed_install_is_a_clear_error_and_leaves_no_venv(tmp_path):
    cache = tmp_path / "cache"
    requirements = _requirements(tmp_path / "requirements-bad.txt", "--no-index\nsagewatch-no-such-package==1.0\n")
    with pytest.raises(SdkVenvError) as error:
        ensure_venv("bad", requirements, cache=cache)
    message = str(error.value)
    assert message.startswith("could not make the bad SDK venv from requirements-bad.txt: pip install failed")
    assert str(cache / "bad-install.log") in message
    assert "sagewatch-no-such-package" in message  # pip's own words, from the log's tail
    assert not any(p.is_dir() for p in cache.iterdir())


def test_missing_requirements_file_is_named(tmp_path):
    with pytest.raises(SdkVenvError, match="no requirements file .*requirements-none.txt"):
        ensure_venv("none", tmp_path / "requirements-none.txt", cache=tmp_path / "cache")


def test_parallel_callers_build_one_venv(tmp_path, monkeypatch):
    import sdk_venvs

    cache = tmp_path / "cache"
    requirements = _requirements(tmp_path / "requirements-t.txt", "# nothing\n")
    builds = []
    real_run = subprocess.run

    def counting_run(command, *args, **kwargs):
        if command[1:3] == ["-m", "venv"]:
            builds.append(command)
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr(sdk_venvs.subprocess, "run", counting_run)
    results = []
    threads = [threading.Thread(target=lambda: results.append(ensure_venv("t", requirements, cache=cache)))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3 and len(set(results)) == 1
    assert len(builds) == 1


@pytest.mark.parametrize("line", ["v2", "v3"])
def test_docs_name_the_pinned_sdk_versions(line):
    from sdk_venvs import REPOSITORY, requirements_path

    docs = (REPOSITORY / "docs" / "sdk.md").read_text(encoding="utf-8")
    pins = [l.split("==") for l in requirements_path(line).read_text().splitlines() if "==" in l]
    assert pins
    for package, version in pins:
        if package != "pandas":  # the docs say "pandas < 3", the reason for that pin
            assert f"{package} {version}" in docs, f"docs/sdk.md does not name {package} {version}"
    assert f"requirements-{line}.txt" in docs

"""`make space REMOTE=...` publishes the tree to a Hugging Face Space repository. A local bare repository stands
in for the Space: its pre-receive hook refuses binary files that are not git-lfs pointers, as the Hub does, and
git-lfs stores the files themselves beside it (git-lfs talks to file:// URLs on its own)."""
import os
import shutil
import subprocess
import time
import urllib.request

import pytest

import vaedemo
from tests.harness.protocol import Session
from tests.harness.server import ROOT, free_port, local_image_command, run_coroutine


def git(*args, cwd, check=True, **options) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=check, **options)


@pytest.fixture
def space(tmp_path):
    """A bare repository that refuses binary blobs, as a file:// URL."""
    if shutil.which("git-lfs") is None:
        pytest.fail("git-lfs is not installed: `make test` installs Debian's git-lfs package with apt-get")
    bare = tmp_path / "space.git"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(bare), cwd=tmp_path)
    hook = bare / "hooks" / "pre-receive"
    shutil.copy(ROOT / "tests" / "hub_pre_receive.py", hook)
    hook.chmod(0o755)
    return f"file://{bare}"


def publish(remote: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", "space", f"REMOTE={remote}"], cwd=ROOT, capture_output=True, text=True)


def test_a_plain_push_of_the_tree_is_refused_for_its_binary_files(space, tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    files = git("ls-files", "-z", cwd=ROOT).stdout.split("\0")
    subprocess.run(["cp", "--parents", "-t", str(plain), *[f for f in files if f and (ROOT / f).exists()]], cwd=ROOT,
                   check=True)
    git("init", "--quiet", "--initial-branch=main", cwd=plain)
    # no zlib and no delta search for 90 MB of weights (seconds of CPU): how the blobs are packed is not the question
    for setting in ("core.compression=0", "pack.window=0"):
        git("config", *setting.split("="), cwd=plain)
    git("add", "-A", cwd=plain)  # no .gitattributes here: the checkpoints and screenshots go in as plain blobs
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "plain", cwd=plain)
    push = git("push", space, "HEAD:main", cwd=plain, check=False)
    assert push.returncode != 0
    assert "rejected because it contains binary files" in push.stderr and "checkpoints/" in push.stderr


@pytest.mark.server
def test_make_space_publishes_a_tree_that_clones_and_starts(space, tmp_path):
    first = publish(space)
    assert first.returncode == 0, first.stderr
    assert "through git-lfs" in first.stdout
    again = publish(space)  # the same tree once more: nothing new, and no error
    assert again.returncode == 0 and "nothing to publish" in again.stdout, again.stderr

    bare = space.removeprefix("file://")
    stored = git("cat-file", "-p", "main:checkpoints/vae-2d.safetensors", cwd=bare).stdout
    assert stored.startswith("version https://git-lfs.github.com/spec/v1"), "the Space holds a pointer, not the file"
    listed = git("ls-tree", "-r", "--name-only", "main", cwd=bare).stdout.split()
    assert {".gitattributes", "README.md", "Dockerfile", "app.py"} <= set(listed)
    assert git("show", "main:README.md", cwd=bare).stdout.startswith("---\ntitle:")  # the Space's front matter

    clone = tmp_path / "clone"
    lfs = ["-c", "filter.lfs.process=git-lfs filter-process", "-c", "filter.lfs.required=true"]
    git("clone", "--quiet", *lfs, space, str(clone), cwd=tmp_path)  # checked out through git-lfs: the files
    model = vaedemo.load_checkpoint(clone / "checkpoints" / "vae-2d.safetensors")
    assert model.kind == "vae" and model.latent_dim == 2
    assert (clone / "docs" / "draw.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    port = free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        local_image_command(port),
        cwd=clone,
        env={**os.environ, "HOME": str(tmp_path)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                assert server.poll() is None, (tmp_path / "server.log").read_text()
                time.sleep(0.3)
        assert run_coroutine(models_sent(url)) == 2, "the published app sends its weights to the browser"
    finally:
        server.terminate()
        server.wait(timeout=10)


async def models_sent(url: str) -> int:
    """Open the Draw page as a browser does; how many models (their weights, loaded from the checkpoints: an LFS
    pointer would fail the page) it sends for the browser to answer strokes with."""
    session = Session(url)
    await session.connect()
    await session.rerun()
    await session.close()
    assert not session.errors, session.errors
    return session.models


def test_make_space_without_a_remote_says_what_to_give():
    run = publish("")
    assert run.returncode != 0 and "error: say where to publish: make space REMOTE=" in run.stderr

"""The Hugging Face Spaces image: its start command serves the app, its metadata agrees with it."""
import re
import subprocess
import time
import urllib.request

import pytest

from tests.harness.server import DOCKERFILE, ROOT, free_port, image_command, local_image_command


def test_readme_front_matter_matches_the_image():
    front = (ROOT / "README.md").read_text().split("---")[1]
    assert "sdk: docker" in front and "app_port: 8501" in front
    assert "EXPOSE 8501" in DOCKERFILE and "--server.port=8501" in image_command()
    assert "--server.address=0.0.0.0" in image_command()
    assert "useradd --create-home --uid 1000 user" in DOCKERFILE and "USER user" in DOCKERFILE
    assert "/_stcore/health" in DOCKERFILE
    assert image_command()[:3] == ["python", "-m", "webapp.serve"]  # VAEDEMO_PROCESSES app processes
    assert re.search(r"apt-get install .*\bhaproxy\b", DOCKERFILE)  # which the image's own Debian gives


def test_the_image_installs_the_cpu_build_of_the_pinned_torch():
    """A Space runs on CPUs: the image takes torch and torchvision from the CPU-only index, at the versions
    requirements.txt pins, before the rest (pip then finds them satisfied instead of fetching CUDA builds)."""
    pins = dict(re.findall(r"^(torch|torchvision)==(\S+)", (ROOT / "requirements.txt").read_text(), re.M))
    install = DOCKERFILE.replace("\\\n", " ")
    cpu = re.search(
        r"pip install .*--index-url \$TORCH_INDEX (torch==\S+) (torchvision==\S+) .*-r requirements.txt", install
    )
    assert cpu and cpu.groups() == (f"torch=={pins['torch']}", f"torchvision=={pins['torchvision']}")
    assert re.search(r"^ARG TORCH_INDEX=\S+/whl/cpu$", DOCKERFILE, re.M)


def test_the_image_compresses_streamlits_files_when_it_is_built():
    """A Space that wakes up serves its first page without compressing anything: the image's build made the copies
    (hall/compression.py), after the app's files are in it (the font cuts read its catalogues)."""
    steps = [line for line in DOCKERFILE.splitlines() if line.startswith(("COPY", "RUN", "CMD"))]
    prepare = steps.index("RUN python -m hall.compression")
    assert steps[prepare - 1] == "COPY --chown=user . ." and steps[prepare + 1].startswith("CMD")


@pytest.mark.server
@pytest.mark.parametrize("processes", ["1", "2"])
def test_the_image_start_command_serves_the_app(tmp_path, processes):
    """On one app process (the default) and, as a hall deploys it (docs/deployment.md), on two behind HAProxy."""
    port = free_port()
    process = subprocess.Popen(
        local_image_command(port),
        cwd=ROOT,
        env={"HOME": str(tmp_path), "PATH": "/usr/sbin:/usr/bin:/bin", "VAEDEMO_PROCESSES": processes},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline, healthy = time.monotonic() + 60 * int(processes), False
        while time.monotonic() < deadline and process.poll() is None and not healthy:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as response:
                    healthy = response.read() == b"ok"
            except OSError:
                time.sleep(0.3)
        assert healthy, process.stdout.read() if process.poll() is not None else "no answer from /_stcore/health"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert b"<noscript>" in response.read()
    finally:
        process.terminate()
        process.wait(timeout=30)

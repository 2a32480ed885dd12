"""docker-compose.yml and the Procfile describe the processes DESIGN.md names."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_the_procfile_starts_web_worker_and_beat():
    names = {
        line.split(":", 1)[0]
        for line in (REPO_ROOT / "Procfile").read_text().splitlines()
        if line.strip()
    }
    assert {"web", "worker", "beat"} <= names


def test_docker_compose_config_accepts_the_file():
    binary = shutil.which("docker-compose")
    if not binary:
        if os.environ.get("CI"):
            pytest.fail("docker-compose is not installed (apt-get install docker-compose)")
        pytest.skip("docker-compose is not installed")
    result = subprocess.run(
        [binary, "-f", str(REPO_ROOT / "docker-compose.yml"), "config", "--services"],
        capture_output=True,
        text=True,
        env={**os.environ, "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "example.org"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(result.stdout.split())
    local = subprocess.run(
        [
            binary,
            "-f",
            str(REPO_ROOT / "docker-compose.yml"),
            "--profile",
            "local",
            "config",
            "--services",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert local.returncode == 0, local.stderr
    assert {"emulator", "sqs"} <= set(local.stdout.split())


def test_the_local_mturk_and_its_queue_listen_on_this_machine_only():
    """Its control API resets and drives everything: never published beyond 127.0.0.1."""
    import yaml

    binary = shutil.which("docker-compose")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("docker-compose is not installed (apt-get install docker-compose)")
        pytest.skip("docker-compose is not installed")
    result = subprocess.run(
        [binary, "-f", str(REPO_ROOT / "docker-compose.yml"), "--profile", "local", "config"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    for name in ("emulator", "sqs"):
        ports = services[name]["ports"]
        assert ports and all(str(p).startswith("127.0.0.1:") for p in ports), (name, ports)
    assert services["emulator"]["environment"]["EMULATOR_ALLOWED_HOSTS"] == "emulator"

"""The Procfile, compose.yaml and the Dockerfile run the same production commands (no container engine runs here:
the files are read and compared)."""

import json
import re
import shlex

import yaml

from tests.production.servers import ROOT, procfile_command

PROCESSES = ("release", "web", "worker")


def _compose_command(service: dict) -> str:
    """A compose service's command as the shell line it runs."""
    command = service["command"]
    if isinstance(command, list) and command[:2] == ["sh", "-c"]:
        return command[2]
    return command if isinstance(command, str) else shlex.join(command)


def test_the_procfile_names_a_release_a_web_and_a_worker_process():
    names = [line.split(":", 1)[0] for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()]
    assert names == list(PROCESSES)


def test_every_compose_service_runs_the_procfiles_command_of_the_same_name():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert {name: _compose_command(services[name]) for name in PROCESSES} == {
        name: procfile_command(name) for name in PROCESSES
    }
    assert set(services) == {*PROCESSES, "postgres", "redis"}


def test_web_and_worker_start_after_the_release_step_and_share_one_environment():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    for name in ("web", "worker"):
        assert services[name]["depends_on"] == {"release": {"condition": "service_completed_successfully"}}
    environments = [services[name]["environment"] for name in PROCESSES]
    assert environments[0] == environments[1] == environments[2]
    assert environments[0]["Q_REDIS_URL"].startswith("redis://redis:")
    assert environments[0]["DATABASE_URL"].startswith("postgres://leadflow:")


def test_the_images_default_command_is_the_procfiles_web():
    (cmd,) = re.findall(r"^CMD (.+)$", (ROOT / "Dockerfile").read_text(), re.M)
    assert shlex.join(json.loads(cmd)) == procfile_command("web")


def test_bin_serve_prod_runs_the_procfiles_commands():
    serve = (ROOT / "bin" / "serve").read_text()
    for name in PROCESSES:
        assert f"$(procfile_command {name})" in serve

"""schemathesis against a live server: every operation of /api/schema/, with generated valid and invalid data, must
answer no 5xx and only what the schema documents (statuses, content types, bodies, headers)."""

import subprocess
import sys
from pathlib import Path

import pytest

from crm.services.leads import lead_create
from crm.services.lists import list_create
from crm.services.pipelines import pipeline_default
from crm.services.work import note_create, task_create
from leadflow.api.tokens import api_token_create
from tests.factories import EnrollmentFactory, MessageFactory, SequenceFactory

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
]


@pytest.fixture
def seeded_admin(transactional_db, admin_ada, rep_bob, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_token": "100000/min"}}
    stage = pipeline_default().stages.first()
    for number in range(5):
        lead = lead_create(
            actor=admin_ada, stage=stage, first_name=f"Lead{number}", email=f"lead{number}@fuzz.example",
            company_name="Fuzz Inc", owner=rep_bob if number % 2 else None,
        )  # fmt: skip
        note_create(lead=lead, actor=admin_ada, body="First call went well")
        task_create(lead=lead, actor=admin_ada, title="Call back")
        MessageFactory(enrollment=EnrollmentFactory(lead=lead, sequence=SequenceFactory()), lead=lead)
    list_create(actor=admin_ada, name="Fuzzed list")
    return admin_ada


def test_schemathesis_finds_nothing(live_server, seeded_admin, tmp_path):
    token = api_token_create(user=seeded_admin, name="schemathesis").secret
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "run", f"{live_server.url}/api/schema/",
        "-H", f"Authorization: Bearer {token}", "--checks", ",".join(CHECKS), "--max-examples", "4",
        "--phases", "coverage,fuzzing", "--workers", "2", "--seed", "20261203", "--generation-database", "none",
        "--no-color",
    ]  # fmt: skip
    # In a scratch folder: schemathesis keeps its own files where it runs.
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    summary = run.stdout.split("SUMMARY")[-1]
    assert "passed" in summary and "Failures" not in summary, run.stdout[-3000:]

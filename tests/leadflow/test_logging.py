"""A refused request is logged once, as one line: no traceback, no second copy."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A rep opens the admins' settings page, in a fresh process with the real settings in debug mode (where Django's own
# console handler used to print the line a second time, with the PermissionDenied's traceback).
SCRIPT = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth.models import Group
from django.test import Client
from crm.models import User
user = User.objects.create_user("rep@example.com", "pw")
user.groups.add(Group.objects.get(name="Rep"))
client = Client()
client.force_login(user)
assert client.get("/settings/pipeline/").status_code == 403
"""


def test_a_refusal_is_one_line_without_a_traceback(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "leadflow.settings",
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ALLOWED_HOSTS": "testserver",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    refusals = [line for line in result.stderr.splitlines() if "Forbidden" in line]
    assert len(refusals) == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr

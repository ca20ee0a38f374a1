"""`manage.py ensure_admin`: there is always an admin to sign in with, and only its owner can read the password."""

import stat
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from crm.models import User
from leadflow.roles import Role, role_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def ensure_admin(*args: str) -> str:
    out = StringIO()
    call_command("ensure_admin", *args, stdout=out)
    return out.getvalue()


def test_it_creates_one_superuser_and_saves_its_login_for_the_owner_only(tmp_path):
    path = tmp_path / "admin.txt"

    output = ensure_admin("--credentials-file", str(path))

    admin = User.objects.get(is_superuser=True)
    assert admin.email == "admin@leadflow.local"
    assert admin.is_staff and role_of(admin) == Role.ADMIN
    assert admin.groups.filter(name=Role.ADMIN.value).exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    email, password = path.read_text().splitlines()
    assert email == admin.email and len(password) >= 20
    assert authenticate(email=email, password=password) == admin
    assert output == f"Admin login: {email} / {password}\n"


def test_it_creates_none_on_the_second_run_and_prints_the_same_login(tmp_path):
    path = tmp_path / "admin.txt"
    first = ensure_admin("--credentials-file", str(path))

    second = ensure_admin("--credentials-file", str(path))

    assert second == first
    assert User.objects.filter(is_superuser=True).count() == 1


def test_it_writes_next_to_the_code_by_default(settings, tmp_path):
    settings.BASE_DIR = tmp_path

    output = ensure_admin("--email", "Owner@Example.com")

    email, password = (tmp_path / ".leadflow-admin.txt").read_text().splitlines()
    assert email == "owner@example.com"
    assert output == f"Admin login: owner@example.com / {password}\n"


def test_it_makes_an_old_credentials_file_private_again(tmp_path):
    path = tmp_path / "admin.txt"
    path.write_text("someone@else.test\nold\n")
    path.chmod(0o644)

    ensure_admin("--credentials-file", str(path))

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("admin@leadflow.local\n")


def test_it_does_not_reveal_a_password_it_did_not_generate(admin_ada, tmp_path):
    path = tmp_path / "admin.txt"

    output = ensure_admin("--credentials-file", str(path))

    assert output == "Admin login: ada@leadflow.test (password set earlier)\n"
    assert not path.exists()
    assert User.objects.filter(is_superuser=True).count() == 1


def test_it_does_not_show_a_password_the_admin_has_since_changed(tmp_path):
    path = tmp_path / "admin.txt"
    ensure_admin("--credentials-file", str(path))
    admin = User.objects.get(is_superuser=True)
    admin.set_password("a new secret of my own")
    admin.save()

    output = ensure_admin("--credentials-file", str(path))

    assert output == "Admin login: admin@leadflow.local (password set earlier)\n"


def test_it_ignores_a_file_for_someone_who_is_no_longer_a_superuser(tmp_path):
    path = tmp_path / "admin.txt"
    ensure_admin("--credentials-file", str(path))
    User.objects.filter(email="admin@leadflow.local").update(is_superuser=False)
    UserFactory(email="root@leadflow.test", is_superuser=True, is_staff=True)

    output = ensure_admin("--credentials-file", str(path))

    assert output == "Admin login: root@leadflow.test (password set earlier)\n"


def test_it_will_not_turn_an_existing_account_into_the_admin(rep_alice, tmp_path):
    path = tmp_path / "admin.txt"

    with pytest.raises(CommandError, match="already has an account"):
        ensure_admin("--email", rep_alice.email, "--credentials-file", str(path))

    assert not User.objects.filter(is_superuser=True).exists()
    assert not path.exists()


def test_it_leaves_no_admin_behind_when_the_file_cannot_be_written(tmp_path):
    path = tmp_path / "missing-folder" / "admin.txt"

    with pytest.raises(CommandError, match="no admin was created"):
        ensure_admin("--credentials-file", str(path))

    assert not User.objects.filter(is_superuser=True).exists()

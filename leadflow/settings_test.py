"""Settings for the test suite: the real settings with jobs run in-process and fast hashing."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from leadflow.settings import *  # noqa: F403
from leadflow.settings import DATABASES, Q_CLUSTER, STORAGES

# django-q2 reads its Conf at import time, so sync mode must be set here, not by override_settings.
Q_CLUSTER["sync"] = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
ACCOUNT_RATE_LIMITS = False

# Uploaded files of the test run go to a throw-away folder.
MEDIA_ROOT = tempfile.mkdtemp(prefix="leadflow-test-media-")
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)

# A test database on disk rather than in memory, so that a real job cluster started by a test (in another
# process) works on the same data.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(tempfile.gettempdir(), f"leadflow-test-{os.getpid()}.sqlite3")}

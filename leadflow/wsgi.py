import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
application = get_wsgi_application()
# What is alive after start-up (modules, URL patterns, compiled templates) lives as long as the process:
# keeping it out of the collector's full passes spares requests pauses of tens of milliseconds.
gc.freeze()

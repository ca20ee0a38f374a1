# Leadflow's production image: one image for the web server and the job cluster (compose.yaml runs the Procfile's
# commands in it). Settings come from the environment; nothing secret is baked in.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH="/app/.venv/bin:$PATH" \
    LEADFLOW_ADDR=0.0.0.0:8000

# pg_dump and pg_restore for the daily backup of a PostgreSQL database.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Exactly the locked runtime packages, each checked against its hash.
COPY requirements.lock ./
RUN python -m venv .venv && .venv/bin/pip install --no-cache-dir --require-hashes -r requirements.lock

COPY . .
# Static files are collected (hashed and compressed) into the image; this key only lets the settings load.
RUN DEBUG=false SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --noinput --verbosity 0

RUN useradd --create-home --uid 1000 leadflow && mkdir -p media && chown leadflow media
USER leadflow
EXPOSE 8000
CMD ["gunicorn", "--config", "leadflow/gunicorn.conf.py", "leadflow.wsgi"]

# The council feedback API. Build: docker build -t council-feedback .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    API_HOST=0.0.0.0 \
    API_PORT=8000

WORKDIR /app

# The code finds alembic.ini and migrations/ two levels above services/api/settings.py, so
# the project is installed in editable mode: the package is imported from /app/services and
# /app/alembic.ini and /app/migrations are found at run time. A regular `pip install .` would
# put the package in site-packages, away from the migrations.
COPY pyproject.toml README.md alembic.ini ./
COPY services/ services/
COPY migrations/ migrations/
RUN pip install --no-cache-dir -e . \
    && useradd --create-home --uid 10001 --user-group feedback \
    && mkdir .data \
    && chown feedback:feedback .data

USER feedback

EXPOSE 8000

# One worker process per core the container may use (API_WORKERS to choose), sharing their
# metrics through a fresh folder under /tmp that the server removes when it stops; the
# server drains requests in flight on SIGTERM.
CMD ["feedback", "serve"]

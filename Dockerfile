# The bot for the federal setup (webhook, PostgreSQL, Redis): see README, "Deployment".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# Dependencies first, pinned by the lock file, so a code change does not reinstall them.
COPY pyproject.toml requirements.lock README.md ./
COPY bot bot
COPY handlers handlers
COPY services services
COPY models models
COPY texts texts
COPY fakeapi fakeapi
COPY migrations migrations
COPY questionnaires questionnaires
COPY samples samples
COPY alembic.ini ./
RUN pip install -c requirements.lock ".[postgres]" \
    && useradd --system --uid 10001 --home-dir /app profinform \
    && mkdir -p /app/data && chown profinform /app/data

USER profinform
EXPOSE 8080
# Applies pending migrations (one replica at a time is enough: Alembic is idempotent), then
# serves the webhook when WEBHOOK_URL is set, else polls.
CMD ["python", "-m", "bot"]
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8080/healthz'); sys.exit(0)" || exit 1

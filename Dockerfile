# syntax=docker/dockerfile:1
# Build stage: compile wheels (asyncpg, rapidfuzz) and install into a virtualenv.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY pyproject.toml README.md LICENSE /src/
COPY bot /src/bot
RUN /opt/venv/bin/pip install /src

# Runtime stage: the virtualenv, the source tree (bank and migrations), a non-root user.
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DATA_DIR=/data
RUN useradd --create-home --uid 10001 mlmock && mkdir /data && chown mlmock /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=mlmock bot ./bot
COPY --chown=mlmock migrations ./migrations
COPY --chown=mlmock question_bank ./question_bank
COPY --chown=mlmock alembic.ini pyproject.toml ./
USER mlmock
VOLUME ["/data"]
# Migrations run at start (python -m bot run applies them before connecting to Discord).
CMD ["python", "-m", "bot", "run"]

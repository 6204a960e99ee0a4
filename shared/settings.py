"""Settings every TRACS process shares; each service subclasses them with its own port and database."""

from __future__ import annotations

from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy.engine import make_url

from shared.auth import OidcConfig

PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "dev-insecure-secret-change-me-0123456789abcdef"}
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
DEV_JWT_SECRET = "dev-insecure-secret-change-me-0123456789abcdef"  # noqa: S105 - refused outside development


class TracsSettings(BaseSettings):
    """Shared knobs, read from `TRACS_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="TRACS_", extra="ignore", populate_by_name=True)

    environment: Literal["development", "test", "production"] = "development"
    log_level: str = "INFO"
    log_json: bool = True

    kafka_bootstrap: str = "127.0.0.1:19092"
    # How soon clients notice topics and partitions that appeared (a rebuilt broker, added partitions).
    kafka_metadata_max_age_ms: int = Field(30_000, ge=1000)
    # Tansu has no idempotent producer (InitProducerId fails); Apache Kafka deployments turn it on.
    kafka_enable_idempotence: bool = False
    kafka_compression: Literal["none", "gzip", "snappy", "lz4", "zstd"] = "none"
    topic_partitions: int = Field(6, ge=1, le=256)
    topic_replication: int = Field(1, ge=1)
    # Isolates parallel stacks (tests, staging) sharing one broker; empty in production.
    topic_prefix: str = ""

    # Server-level URL; each service derives its own database on this server unless overridden.
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/postgres"
    database_suffix: str = ""
    db_pool_size: int = 10

    jwt_secret: str = DEV_JWT_SECRET
    # During a key rotation: the key tokens were signed with until now, still accepted until they expire.
    # The gateway signs with jwt_secret only; empty once the rotation is over.
    jwt_previous_secret: str = ""
    jwt_issuer: str = "tracs-gateway"
    jwt_ttl_seconds: int = Field(3600, ge=60)
    # Deployment: tokens of an OIDC identity provider, verified with its public key from configuration.
    oidc_public_key: str = ""
    oidc_issuer: str = ""
    oidc_audience: str = "tracs"
    oidc_username_claim: str = "preferred_username"
    oidc_roles_claim: str = "roles"
    oidc_programs_claim: str = "programs"
    # The console's sign-in through the provider (authorization code with PKCE); off while the endpoint is empty.
    oidc_authorization_endpoint: str = ""
    oidc_token_endpoint: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""  # empty: a public client (PKCE alone)
    oidc_client_auth: Literal["client_secret_basic", "client_secret_post"] = "client_secret_basic"
    oidc_scopes: str = "openid"
    oidc_provider_name: str = "the identity provider"
    # Where the provider sends the browser back (`<base>/login/oidc/callback`); empty: the URL the request came to.
    oidc_redirect_base: str = ""
    local_logins: bool = True  # the gateway's own password logins (turn off once the IdP is in place)

    consumer_max_records: int = Field(2000, ge=1)
    consumer_max_attempts: int = Field(3, ge=1)
    relay_batch_size: int = Field(5000, ge=1)
    relay_poll_interval: float = Field(0.2, gt=0)
    relay_enabled: bool = True
    # How often each instance reads its gauges (outbox age, pending dead letters, ...) from its database.
    metrics_interval: float = Field(15.0, gt=0)
    consumers_enabled: bool = True
    migrate_on_start: bool = True
    # Fault injection for the reliability tests: the relay dies after publishing, before marking sent.
    fault_relay_crash_after_publish: bool = False

    # Audit trail (shared/audit_sequencer.py): the Ed25519 key that signs checkpoints (PEM or base64 seed,
    # inline or a file path; never stored in a database), public keys rotated out (still verify old
    # checkpoints), how often the head is signed, and the file the gateway appends checkpoints to.
    audit_signing_key: str = ""
    audit_verify_keys: list[str] = Field(default_factory=list)
    audit_checkpoint_entries: int = Field(1000, ge=1)
    audit_checkpoint_seconds: float = Field(10.0, gt=0)
    audit_sequencer_interval: float = Field(0.2, gt=0)
    audit_sequencer_enabled: bool = True
    audit_checkpoint_file: str = "var/audit/checkpoints.jsonl"
    # The witness (tracs/witness.py): where the sequencer submits checkpoints, and the verifier keys
    # (`name+id+key`, as `tracs witness key` prints) whose cosignatures `tracs audit verify` requires.
    audit_witness_url: str = ""
    audit_witness_keys: list[str] = Field(default_factory=list)
    audit_witness_interval: float = Field(1.0, gt=0)

    def oidc(self) -> OidcConfig | None:
        if not self.oidc_public_key:
            return None
        return OidcConfig(
            public_key=self.oidc_public_key,
            issuer=self.oidc_issuer,
            audience=self.oidc_audience,
            username_claim=self.oidc_username_claim,
            roles_claim=self.oidc_roles_claim,
            programs_claim=self.oidc_programs_claim,
        )

    def topic(self, logical: str) -> str:
        """The physical name of a logical topic in this deployment."""
        return f"{self.topic_prefix}{logical}"

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> TracsSettings:
        if self.environment == "production" and self.jwt_secret in PLACEHOLDER_SECRETS:
            raise ValueError("TRACS_JWT_SECRET must be set to a real secret outside development")
        if self.jwt_previous_secret and (
            self.jwt_previous_secret == self.jwt_secret
            or (self.environment == "production" and self.jwt_previous_secret in PLACEHOLDER_SECRETS)
        ):
            raise ValueError(
                "TRACS_JWT_PREVIOUS_SECRET must be the key before TRACS_JWT_SECRET, not it or a placeholder"
            )
        if self.oidc_public_key and not self.oidc_issuer:
            raise ValueError("TRACS_OIDC_ISSUER must name the identity provider whose key TRACS_OIDC_PUBLIC_KEY is")
        if self.oidc_authorization_endpoint:
            self._check_oidc_sign_in()
        return self

    def _check_oidc_sign_in(self) -> None:
        """The console's provider sign-in needs the whole client set up, and the key its tokens verify with."""
        needed = {
            "TRACS_OIDC_TOKEN_ENDPOINT": self.oidc_token_endpoint,
            "TRACS_OIDC_CLIENT_ID": self.oidc_client_id,
            "TRACS_OIDC_PUBLIC_KEY": self.oidc_public_key,
            "TRACS_OIDC_ISSUER": self.oidc_issuer,
        }
        if missing := [name for name, value in needed.items() if not value]:
            raise ValueError(f"TRACS_OIDC_AUTHORIZATION_ENDPOINT is set, so {', '.join(missing)} must be set too")
        urls = {
            "TRACS_OIDC_AUTHORIZATION_ENDPOINT": self.oidc_authorization_endpoint,
            "TRACS_OIDC_TOKEN_ENDPOINT": self.oidc_token_endpoint,
            "TRACS_OIDC_REDIRECT_BASE": self.oidc_redirect_base,
        }
        for name, url in urls.items():
            if url and not _secure_or_loopback(url):
                raise ValueError(f"{name} must be an https:// URL (plain http only on this machine): {url!r}")

    def oidc_sign_in(self) -> bool:
        """Whether the console offers "Sign in with <provider>" (validated complete when set)."""
        return bool(self.oidc_authorization_endpoint)


def _secure_or_loopback(url: str) -> bool:
    """Codes and tokens cross these URLs: https, except to a provider or console on this very machine."""
    parsed = urlsplit(url)
    if parsed.scheme == "https" and parsed.hostname:
        return True
    return parsed.scheme == "http" and parsed.hostname in LOOPBACK_HOSTS


class ServiceSettings(TracsSettings):
    """A service's settings: its name decides its database, consumer group and default port."""

    service_name: ClassVar[str]
    default_port: ClassVar[int]

    host: str = "127.0.0.1"
    port: int = 0
    # Set as TRACS_<SERVICE>_OWN_DATABASE_URL to put the service's database anywhere.
    own_database_url: str | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # `TRACS_CASES_PORT` beats `TRACS_PORT`: any shared knob can be set for one service only.
        own = EnvSettingsSource(settings_cls, env_prefix=f"TRACS_{cls.service_name.upper()}_")
        return init_settings, own, env_settings, dotenv_settings, file_secret_settings

    @model_validator(mode="after")
    def _default_port(self) -> ServiceSettings:
        if not self.port:
            self.port = self.default_port
        return self

    @property
    def service_database_url(self) -> str:
        """The service's own database: an explicit URL, else `tracs_<service>` on the shared server."""
        if self.own_database_url:
            return self.own_database_url
        url = make_url(self.database_url)
        return url.set(database=f"tracs_{self.service_name}{self.database_suffix}").render_as_string(
            hide_password=False
        )

    @property
    def consumer_group(self) -> str:
        return f"{self.topic_prefix}tracs-{self.service_name}"


class RetentionSettings(ServiceSettings):
    """A service that applies its rows of the retention schedule (`shared/disposal.py`): periods a deployment
    changed per record kind (`TRACS_<SERVICE>_RETENTION_YEARS='{"draft": 20}'`), and how often it runs by itself."""

    retention_years: dict[str, int] = Field(default_factory=dict)
    retention_interval_seconds: float = Field(86400.0, ge=0)  # 0: only when asked

"""One ``Settings`` object, read from the environment and ``.env`` once at start-up."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_EMBEDDING_MODEL = "multilingual-e5-small"
# Bearer tokens a client presents (admin API, /metrics): shorter ones are guessable.
MIN_TOKEN_CHARS = 16


class Settings(BaseSettings):
    """Every knob of the assistant; environment variable names are the upper-case field names."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # --- core -----------------------------------------------------------------------------
    data_dir: Path = Path("./data")
    knowledge_dir: Path = Path("./knowledge")
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    # Languages the embedding model reads well; empty = all (the default multilingual-e5-small
    # reads all four). For EMBEDDING_MODEL=packaged (English MiniLM) set "en,vi": on Korean
    # and Japanese its similarities are noise (measured with `python -m bot eval`).
    embedding_languages: Annotated[list[str], NoDecode] = []
    collection_name: str = "knowledge"

    # Retrieval and answering thresholds (tuned with `python -m bot eval`).
    top_k: int = Field(default=5, ge=1, le=50)
    candidate_k: int = Field(default=30, ge=5, le=500)
    fusion: Literal["rrf", "weighted"] = "weighted"
    # Confidence scale (bot/rag/scoring.py): below min_confidence the assistant declines,
    # below sure_confidence it answers but marks the answer unsure and offers the staff.
    min_confidence: float = Field(default=0.3, ge=0.0, le=1.0)
    sure_confidence: float = Field(default=0.6, ge=0.0, le=1.0)
    answer_max_chars: int = Field(default=1200, ge=100, le=4000)

    # Ingestion limits.
    max_file_mb: float = Field(default=20.0, gt=0)
    parse_timeout: float = Field(default=30.0, gt=0)
    chunk_size: int = Field(default=1500, ge=200)
    chunk_overlap: int = Field(default=200, ge=0)
    # Chunks one upload (admin page, Telegram) may make: roughly 1-2 MB of text, a few minutes
    # of embedding on two cores. Bigger uploads are refused with the count; ingest.py is not
    # capped (staff with shell access index the folder as they please).
    max_upload_chunks: int = Field(default=2000, ge=1)

    # --- vector store server (optional) -----------------------------------------------------
    chroma_host: str | None = None
    chroma_port: int = 8000
    chroma_token: SecretStr | None = None
    # Seconds between checks whether another replica changed the shared knowledge base.
    index_refresh_seconds: float = Field(default=5.0, ge=0)

    # --- operations -------------------------------------------------------------------------
    # "json": one JSON object per log line (for a log collector); "text": key=value lines.
    log_format: Literal["text", "json"] = "text"
    # Root log level; unset: INFO for the service, WARNING for command-line tools.
    log_level: Literal["", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = ""

    # --- channels ---------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 8000
    admin_token: SecretStr | None = None
    # Bearer token for GET /metrics; unset: /metrics answers only internal, unproxied clients.
    metrics_token: SecretStr | None = None
    allowed_origins: Annotated[list[str], NoDecode] = []
    ask_rate_per_minute: int = Field(default=30, ge=1)
    # Interactive API docs (Swagger UI) at /docs, its assets served from this process (no CDN);
    # API_DOCS=false removes the page (/openapi.json stays).
    api_docs: bool = True
    # The admin page flags documents whose last_verified date is older than this many days.
    stale_after_days: int = Field(default=180, ge=1, le=36500)
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (CIDRs, comma-
    # separated). Empty: every limit keys on the connecting address and no header is trusted.
    trusted_proxies: Annotated[list[IPv4Network | IPv6Network], NoDecode] = []
    # Signs web conversation ids; unset: a random key in DATA_DIR/conversation.key. Replicas
    # on several hosts (no shared DATA_DIR) must share one.
    conversation_secret: SecretStr | None = None

    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    staff_chat_id: int | None = None
    staff_user_ids: Annotated[list[int], NoDecode] = []
    user_rate_per_minute: int = Field(default=10, ge=1)

    database_url: str | None = None
    retention_days: int = Field(default=365, ge=1)

    # --- generative answers (optional) ------------------------------------------------------
    answer_generator: Literal["extractive", "openai", "ollama", "transformers"] = "extractive"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(default=20.0, gt=0)

    @field_validator(
        "admin_token", "telegram_bot_token", "telegram_webhook_secret", "llm_api_key",
        "chroma_token", "metrics_token", "conversation_secret", mode="before",
    )  # fmt: skip
    @classmethod
    def _empty_secret_is_unset(cls, value: object) -> object:
        # `ADMIN_TOKEN=` in a .env file means "not set", never "the empty password".
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _log_word(cls, value: object, info: ValidationInfo) -> object:
        # "JSON", " debug " mean what they say; an empty LOG_FORMAT= is the default.
        if not isinstance(value, str):
            return value
        word = value.strip()
        if info.field_name == "log_format":
            return word.lower() or "text"
        return word.upper()

    @field_validator("admin_token", "metrics_token")
    @classmethod
    def _long_enough(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        # A 1-character admin token falls to a few hundred guesses; refuse to start with one.
        if value is not None and len(value.get_secret_value()) < MIN_TOKEN_CHARS:
            raise ValueError(
                f"{(info.field_name or 'token').upper()} must be at least {MIN_TOKEN_CHARS} "
                "characters (make one with: openssl rand -hex 24)"
            )
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            networks = []
            for part in value:
                try:
                    networks.append(ip_network(str(part).strip(), strict=False))
                except ValueError as exc:
                    raise ValueError(
                        f"TRUSTED_PROXIES must be comma-separated addresses or CIDRs "
                        f"(e.g. 172.28.0.0/16), got {part!r}"
                    ) from exc
            return networks
        return value

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("embedding_languages", mode="before")
    @classmethod
    def _split_languages(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().lower() for part in value.split(",") if part.strip()]
        return value

    @field_validator("staff_user_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return [int(part) for part in value.split(",") if part.strip()]
            except ValueError as exc:
                raise ValueError(
                    f"STAFF_USER_IDS must be comma-separated numeric Telegram user ids, got {value!r}"
                ) from exc
        return value

    @property
    def chroma_dir(self) -> Path:
        """Folder of the embedded Chroma store."""
        return self.data_dir / "chroma"

    @property
    def max_file_bytes(self) -> int:
        """Upload/ingest cap in bytes."""
        return int(self.max_file_mb * 1024 * 1024)

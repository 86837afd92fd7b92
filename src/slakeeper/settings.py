"""Settings from the environment (``SLAKEEPER_*``), with embedded defaults for `make run`."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SLAKEEPER_", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str = ""  # empty: a SQLite file in data_dir
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 16 * 1024 * 1024
    max_page: int = 1000

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'slakeeper.db').resolve()}"

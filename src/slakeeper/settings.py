"""Settings from the environment (``SLAKEEPER_*``), with embedded defaults for `make run`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SLAKEEPER_", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str = ""  # empty: a SQLite file in data_dir
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 16 * 1024 * 1024
    max_page: int = 1000
    # the monitoring worker
    late_after_s: Annotated[float, Field(ge=0)] = (
        30.0  # a firing this late after its instant is marked late
    )
    catch_up_hours: Annotated[float, Field(gt=0)] = (
        24.0  # firings older than this are recorded, not sent
    )
    # after a crash, deliveries in flight are retried after this; keep it above 4 sends at the
    # channels' longest timeout (30 s)
    delivery_lease_s: Annotated[float, Field(ge=10)] = 180.0
    # the secret of GitHub's webhook (POST /v1/hooks/github); unset: the hook is off
    github_hook_secret: str = ""
    # the signing secret of Zendesk's webhook (POST /v1/hooks/zendesk); unset: the hook is off
    zendesk_hook_secret: str = ""
    # Freshdesk has no signature: the shared secret its automation sends (POST /v1/hooks/freshdesk)
    freshdesk_hook_secret: str = ""
    # the secret of Jira's webhook (POST /v1/hooks/jira); unset: the hook is off
    jira_hook_secret: str = ""
    # the Meta app secret that signs WhatsApp Cloud API webhooks (POST /v1/hooks/whatsapp)
    whatsapp_hook_secret: str = ""
    # the verify token Meta sends when the WhatsApp webhook is set up (GET /v1/hooks/whatsapp)
    whatsapp_verify_token: str = ""
    # how often the worker looks at the availability objectives' signals (burn rates, budget)
    availability_every_s: Annotated[float, Field(gt=0)] = 60.0
    # the first-response assistant (docs/assist.md): a folder of Markdown articles; unset: off
    kb_path: Path | None = None
    kb_base_url: str = "/kb"  # article links are <kb_base_url>/<article id>
    # how often the worker scores the running clocks with the installed breach-risk model
    risk_every_s: Annotated[float, Field(gt=0)] = 60.0

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'slakeeper.db').resolve()}"

"""Settings: where zwbot finds its data and services, and config.yml's typed tree.

Everything comes from the project directory (knowledge/, nlu_data/, domain.yml, config.yml) and
from environment variables; nothing here is a secret. `load_settings` reads it all once.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.configuration import Configuration, read_configuration


@dataclass(frozen=True)
class Settings:
    """Resolved configuration of one zwbot process."""

    project_dir: Path
    database_url: str
    redis_url: str | None
    state_dir: Path
    config: Configuration = field(default_factory=lambda: Configuration())  # config.yml, checked

    @property
    def shared(self) -> bool:
        """Several workers may serve (on this host or others): PostgreSQL holds all state, Redis coordinates."""
        return bool(self.redis_url) and self.database_url.startswith("postgresql")

    @property
    def knowledge_dir(self) -> Path:
        return self.project_dir / "knowledge"

    @property
    def nlu_data_dir(self) -> Path:
        return self.project_dir / "nlu_data"

    @property
    def domain_path(self) -> Path:
        return self.project_dir / "domain.yml"

    @property
    def config_path(self) -> Path:
        return self.project_dir / "config.yml"

    @property
    def credentials_path(self) -> Path:
        return self.project_dir / "credentials.yml"

    @property
    def model_path(self) -> Path:
        return self.state_dir / "models" / "nlu.pkl"


def find_project_dir(start: Path | None = None) -> Path:
    """The directory holding domain.yml: $ZWBOT_HOME, else the nearest parent of `start` (cwd)."""
    if os.environ.get("ZWBOT_HOME"):
        return Path(os.environ["ZWBOT_HOME"]).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "domain.yml").exists() and (candidate / "config.yml").exists():
            return candidate
    # Installed package without a checkout: the source tree one level above bot/.
    return Path(__file__).resolve().parent.parent


def load_settings(project_dir: Path | None = None, **overrides: Any) -> Settings:
    """Read config.yml and the ZWBOT_* environment variables; a wrong config.yml raises ConfigError."""
    project = (project_dir or find_project_dir()).resolve()
    state_dir = Path(os.environ.get("ZWBOT_STATE_DIR", project / ".zwbot"))
    database_url = os.environ.get("ZWBOT_DATABASE_URL") or f"sqlite+aiosqlite:///{state_dir / 'zwbot.db'}"
    values: dict[str, Any] = dict(
        project_dir=project,
        database_url=normalize_database_url(database_url),
        redis_url=os.environ.get("ZWBOT_REDIS_URL") or None,
        state_dir=state_dir,
        config=read_configuration(project / "config.yml"),
    )
    values.update(overrides)
    return Settings(**values)


def normalize_database_url(url: str) -> str:
    """Accept the usual spellings and pick the async driver (aiosqlite / asyncpg)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url[len("postgresql://"):]
    if url.startswith("sqlite://") and not url.startswith("sqlite+"):
        return "sqlite+aiosqlite://" + url[len("sqlite://"):]
    return url


_ENV_REFERENCE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::-(?P<default>[^}]*))?\}")


def read_credentials(path: Path) -> dict[str, dict[str, Any]]:
    """credentials.yml with every `${VAR}` / `${VAR:-default}` replaced from the environment *now*.

    Read when the channels are set up (not with the other settings), so the file names the
    variables and the secrets themselves only ever live in the environment.
    """
    if not path.exists():
        return {}

    def expand(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: expand(inner) for key, inner in value.items()}
        if isinstance(value, str):
            return _ENV_REFERENCE.sub(lambda m: os.environ.get(m["name"]) or (m["default"] or ""), value)
        return value

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {channel: expand(values or {}) for channel, values in data.items()}

"""The Telegram channel's settings, from credentials.yml's `telegram:` section (the environment)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.config import Settings, read_credentials

log = logging.getLogger(__name__)
MODES = ("webhook", "polling")


@dataclass(frozen=True)
class TelegramSettings:
    token: str
    secret_token: str  # what Telegram puts in X-Telegram-Bot-Api-Secret-Token (webhook mode)
    api_base: str  # the Bot API server, without /bot<token>
    mode: str  # webhook | polling
    webhook_url: str = ""  # registered with setWebhook at start when set

    @property
    def polling(self) -> bool:
        return self.mode == "polling"


def telegram_settings(settings: Settings) -> TelegramSettings | None:
    """None (the channel is off) without a token, with an unknown mode, or in webhook mode without
    a secret token (an unauthenticated webhook would let anyone speak for any chat)."""
    secrets = read_credentials(settings.credentials_path).get("telegram", {})
    token = str(secrets.get("token") or "")
    if not token:
        return None
    mode = str(secrets.get("mode") or "webhook").strip().lower()
    if mode not in MODES:
        log.error("telegram: mode %r is not one of %s; the channel is off", mode, ", ".join(MODES))
        return None
    secret_token = str(secrets.get("secret_token") or "")
    if mode == "webhook" and not secret_token:
        log.error("telegram: webhook mode needs secret_token (ZWBOT_TELEGRAM_SECRET_TOKEN); the channel is off")
        return None
    return TelegramSettings(token=token, secret_token=secret_token,
                            api_base=str(secrets.get("api_base") or "https://api.telegram.org").rstrip("/"),
                            mode=mode, webhook_url=str(secrets.get("webhook_url") or ""))

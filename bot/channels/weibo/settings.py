"""The Weibo channel's settings, from credentials.yml (the environment)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings, read_credentials

# Weibo documents no window; 5 minutes is what WeChat and most signed webhooks allow.
DEFAULT_MAX_SKEW = 300


@dataclass(frozen=True)
class WeiboSettings:
    app_secret: str  # signs every request Weibo sends us
    access_token: str  # for 2/messages/reply.json; empty = passive replies only
    api_base: str
    max_skew: int  # seconds a (millisecond) timestamp may be off; 0 = no check (not recommended)
    budget: float = 4.0  # seconds to answer passively; Weibo gives up at 5


def weibo_settings(settings: Settings) -> WeiboSettings | None:
    """None (the channel is off) when credentials.yml's weibo app_secret is empty."""
    secrets = read_credentials(settings.credentials_path).get("weibo", {})
    if not secrets.get("app_secret"):
        return None
    skew = str(secrets.get("max_skew") or DEFAULT_MAX_SKEW).strip()
    return WeiboSettings(app_secret=secrets["app_secret"], access_token=secrets.get("access_token", ""),
                         api_base=(secrets.get("api_base") or "https://m.api.weibo.com").rstrip("/"),
                         max_skew=int(skew) if skew.isascii() and skew.isdigit() else DEFAULT_MAX_SKEW)

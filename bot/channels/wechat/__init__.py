"""WeChat Official Account channel (`GET|POST /webhooks/wechat`), built on wechatpy's crypto and
message parsing. Everything WeChat-specific (XML, signatures, byte limits) stays in this package."""

from bot.channels.wechat.webhook import add_routes, wechat_settings

__all__ = ["add_routes", "wechat_settings"]

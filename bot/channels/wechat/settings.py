"""The WeChat channel's settings: secrets from credentials.yml (the environment), and the account's
menu and template layouts from wechat.yml."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.config import Settings, read_credentials


@dataclass(frozen=True)
class WeChatSettings:
    token: str
    aes_key: str | None
    app_id: str
    secret: str
    api_base: str
    max_skew: int
    template_ids: dict[str, str] = field(default_factory=dict)  # notification kind → template id
    templates: dict[str, dict[str, str]] = field(default_factory=dict)  # kind → {template field: text}
    menu: dict[str, Any] = field(default_factory=dict)
    budget: float = 4.0  # seconds to answer passively; WeChat gives up at 5

    @property
    def can_send(self) -> bool:
        """With app id and secret zwbot may call WeChat's API (customer-service, template, menu)."""
        return bool(self.app_id and self.secret)

    def click_payloads(self) -> dict[str, str]:
        """Menu CLICK key → what pressing it says to zwbot."""
        payloads = {}
        for button in self.menu.get("button", []):
            for entry in [button, *button.get("sub_button", [])]:
                if entry.get("key") and entry.get("payload"):
                    payloads[str(entry["key"])] = str(entry["payload"])
        return payloads


def read_wechat_yml(path: Path) -> dict[str, Any]:
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}


def wechat_settings(settings: Settings) -> WeChatSettings | None:
    """None (the channel is off) when credentials.yml's wechat token is empty."""
    secrets = read_credentials(settings.credentials_path).get("wechat", {})
    if not secrets.get("token"):
        return None
    account = read_wechat_yml(settings.project_dir / "wechat.yml")
    skew = str(secrets.get("max_skew") or "300")
    return WeChatSettings(
        token=secrets["token"], aes_key=secrets.get("aes_key") or None, app_id=secrets.get("app_id", ""),
        secret=secrets.get("secret", ""), api_base=secrets.get("api_base") or "https://api.weixin.qq.com",
        max_skew=int(skew) if skew.isdigit() else 300,
        template_ids={kind: value for kind, value in (secrets.get("templates") or {}).items() if value},
        templates=account.get("templates") or {}, menu=account.get("menu") or {})


def menu_for_wechat(menu: dict[str, Any]) -> dict[str, Any]:
    """The menu as WeChat's menu/create expects it: without zwbot's own `payload` fields."""
    def strip(entry: dict[str, Any]) -> dict[str, Any]:
        clean = {key: value for key, value in entry.items() if key not in ("payload", "sub_button")}
        if entry.get("sub_button"):
            clean["sub_button"] = [strip(sub) for sub in entry["sub_button"]]
        return clean

    return {"button": [strip(button) for button in menu.get("button", [])]}


def menu_problems(menu: dict[str, Any]) -> list[str]:
    """What WeChat would refuse in a menu (its documented limits), in words an operator can act on."""
    buttons = menu.get("button") if isinstance(menu, dict) else None
    if not isinstance(buttons, list) or not buttons:
        return ["菜单为空：需要 menu.button 列表"]
    problems = []
    if len(buttons) > 3:
        problems.append(f"一级菜单最多 3 个，现有 {len(buttons)} 个")
    for button in buttons:
        name = str(button.get("name", ""))
        if not name or len(name.encode()) > 16:
            problems.append(f"一级菜单名称“{name}”须为 1–16 个字节（5 个汉字以内）")
        subs = button.get("sub_button") or []
        if len(subs) > 5:
            problems.append(f"“{name}”的二级菜单最多 5 个，现有 {len(subs)} 个")
        for entry in subs or [button]:
            entry_name = str(entry.get("name", ""))
            if subs and (not entry_name or len(entry_name.encode()) > 60):
                problems.append(f"二级菜单名称“{entry_name}”须为 1–60 个字节")
            if entry.get("type") == "click" and not (entry.get("key") and len(str(entry["key"]).encode()) <= 128):
                problems.append(f"点击菜单“{entry_name}”需要 1–128 字节的 key")
            if entry.get("type") == "click" and not entry.get("payload"):
                problems.append(f"点击菜单“{entry_name}”缺少 payload（按下后对 zwbot 说什么）")
    return problems

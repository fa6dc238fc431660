"""Who may use the chat UI.

- With `chat_username` and `chat_password` set: Chainlit password auth (any host).
- Without them: only on a loopback host, as the single local user (no password).
- Without them on any other host: refused (`ConfigError`) before the server starts.
- With only one of them: refused (`ConfigError`), rather than ignoring the other.

Login tokens are signed with `chat_auth_secret`, or with a secret generated once and kept
in `home/chat_ui/auth_secret` (mode 600) so logins survive restarts.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from pathlib import Path
from typing import Literal

from tradepit.config import Settings
from tradepit.domain.errors import ConfigError

AuthMode = Literal["password", "local"]
LOCAL_USER = "local"
SECRET_FILE = "auth_secret"


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1); False for 0.0.0.0."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def password_configured(settings: Settings) -> bool:
    password = settings.chat_password.get_secret_value() if settings.chat_password else ""
    return bool((settings.chat_username or "").strip() and password)


def auth_mode(settings: Settings, host: str) -> AuthMode:
    """The mode for serving on `host`; raises ConfigError when it would be unprotected, or
    when only one of the username and the password is set (it would be ignored)."""
    if password_configured(settings):
        return "password"
    password = settings.chat_password.get_secret_value() if settings.chat_password else ""
    if (settings.chat_username or "").strip() or password:
        given, missing = ("PASSWORD", "USERNAME") if password else ("USERNAME", "PASSWORD")
        raise ConfigError(
            f"TRADEPIT_CHAT_{given} is set without TRADEPIT_CHAT_{missing}: set both for a "
            "password login, or neither for the local user on a loopback host"
        )
    if is_loopback(host):
        return "local"
    raise ConfigError(
        f"refusing to serve the chat on {host!r} without authentication: set "
        "TRADEPIT_CHAT_USERNAME and TRADEPIT_CHAT_PASSWORD, or use a loopback host "
        "(127.0.0.1)"
    )


def check_password(settings: Settings, username: str, password: str) -> bool:
    """Constant-time comparison with the configured credentials."""
    if not password_configured(settings):
        return False
    expected_user = (settings.chat_username or "").strip().encode()
    expected = settings.chat_password.get_secret_value().encode()  # type: ignore[union-attr]
    user_ok = hmac.compare_digest(username.strip().encode(), expected_user)
    return hmac.compare_digest(password.encode(), expected) and user_ok


def auth_secret(settings: Settings, directory: Path) -> str:
    """The token-signing secret: configured, else read from (or created in) `directory`."""
    if settings.chat_auth_secret and settings.chat_auth_secret.get_secret_value():
        return settings.chat_auth_secret.get_secret_value()
    path = directory / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    directory.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(secret, encoding="utf-8")
    return secret

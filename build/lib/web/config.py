"""Configuration from the environment; every secret comes from there (or is generated for the demo)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _flag(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).lower() in ("1", "true", "yes", "on")


class Config:
    """Production-like defaults; the embedded default is a SQLite file under ./instance."""

    def __init__(self) -> None:
        instance = Path(os.environ.get("COMPLAINTS_INSTANCE", ROOT / "instance"))
        self.INSTANCE_PATH = str(instance)
        self.DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'complaints.sqlite3'}")
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_hex(32)
        # Signs every case history; never stored in the database (docs/auditors-and-dpo.md).
        self.HISTORY_KEY = os.environ.get("COMPLAINTS_HISTORY_KEY", "")
        self.HISTORY_KEY_FILE = os.environ.get("COMPLAINTS_HISTORY_KEY_FILE", "")
        self.DEMO_MODE = _flag("COMPLAINTS_DEMO")
        self.TESTING = False
        self.BPMN_FILE = os.environ.get("COMPLAINTS_BPMN", str(ROOT / "bpmn" / "complaint_handling.bpmn"))
        self.PROCESS_KEY = os.environ.get("COMPLAINTS_PROCESS_KEY", "complaint_handling")
        self.REFERENCE_PREFIX = os.environ.get("COMPLAINTS_REFERENCE_PREFIX", "MG")
        self.EXTRA_DAYS_OFF = os.environ.get("COMPLAINTS_EXTRA_DAYS_OFF", "")
        self.EXTRA_WORKING_DAYS = os.environ.get("COMPLAINTS_EXTRA_WORKING_DAYS", "")
        self.LANE_ROLES = _lane_roles(os.environ.get("COMPLAINTS_LANE_ROLES", ""))
        self.WORKER_POLL_SECONDS = float(os.environ.get("COMPLAINTS_WORKER_POLL", "5"))
        self.LOG_LEVEL = os.environ.get("COMPLAINTS_LOG_LEVEL", "INFO")  # the product's own lines; libraries: WARNING
        self.MAIL_MAX_BYTES = int(os.environ.get("COMPLAINTS_MAIL_MAX_BYTES", 25 * 2**20))
        self.MAIL_MAX_ATTACHMENT_BYTES = int(os.environ.get("COMPLAINTS_MAIL_MAX_ATTACHMENT_BYTES", 10 * 2**20))
        self.MAIL_HOST = os.environ.get("COMPLAINTS_MAIL_HOST", "127.0.0.1")
        self.MAIL_PORT = int(os.environ.get("COMPLAINTS_MAIL_PORT", "8025"))
        self.API_TOKENS = _pairs(os.environ.get("COMPLAINTS_API_TOKENS", ""))  # channel -> token
        self.STATUS_LIMIT_CLIENT = os.environ.get("COMPLAINTS_STATUS_LIMIT_CLIENT", "10 per minute;60 per hour")
        self.STATUS_LIMIT_REFERENCE = os.environ.get("COMPLAINTS_STATUS_LIMIT_REFERENCE", "5 per 10 minutes;20 per day")
        # Proxies in front of the web processes whose X-Forwarded-For/-Proto/-Host are believed (0: none).
        self.TRUSTED_PROXIES = int(os.environ.get("COMPLAINTS_TRUSTED_PROXIES") or 0)
        self.RATELIMIT_STORAGE_URI = os.environ.get("COMPLAINTS_RATELIMIT_STORAGE", "memory://")
        # Messages to customers: no SMTP host means they wait in the outbox (visible to staff).
        self.SMTP_HOST = os.environ.get("COMPLAINTS_SMTP_HOST", "")
        self.SMTP_PORT = int(os.environ.get("COMPLAINTS_SMTP_PORT") or 0)
        self.SMTP_SECURITY = os.environ.get("COMPLAINTS_SMTP_SECURITY", "starttls")
        self.SMTP_USER = os.environ.get("COMPLAINTS_SMTP_USER", "")
        self.SMTP_PASSWORD = os.environ.get("COMPLAINTS_SMTP_PASSWORD", "")
        self.SMTP_TIMEOUT = float(os.environ.get("COMPLAINTS_SMTP_TIMEOUT") or 30)
        self.SMTP_CA_FILE = os.environ.get("COMPLAINTS_SMTP_CA_FILE", "")
        self.SMTP_HELO = os.environ.get("COMPLAINTS_SMTP_HELO", "")
        self.MAIL_FROM = os.environ.get("COMPLAINTS_MAIL_FROM", "Music Gallery <complaints@musicgallery.az>")
        self.MAIL_LANGUAGES = os.environ.get("COMPLAINTS_MAIL_LANGUAGES", "ru,en")

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}


def _pairs(text: str) -> dict[str, str]:
    """`key=value,key=value` as a dict (values may not contain commas)."""
    pairs = (p.partition("=") for p in filter(None, (p.strip() for p in text.split(","))))
    return {key.strip(): value.strip() for key, _, value in pairs if value.strip()}


def _lane_roles(text: str) -> dict[str, str]:
    """`lane=role,lane=role` adds lane names (e.g. translated ones) to the default mapping."""
    lanes = {"intake": "intake", "officer": "officer", "quality": "quality", "supervisor": "supervisor"}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        lane, _, role = pair.partition("=")
        lanes[lane.strip()] = role.strip()
    return lanes

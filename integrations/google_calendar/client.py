"""The Google Calendar API client, built from a trainer's stored (encrypted) credentials.

The real google-api-python-client is always used; in demo mode and tests its endpoint points at
the emulator (`GOOGLE_API_ENDPOINT`). One service object per sync run: httplib2 is not thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build

from db.models import IntegrationCredential
from integrations.config import Settings
from integrations.core.crypto import TokenCipher

#: The narrowest scopes that do the job: read and write events, list the account's calendars,
#: and know which Google account was connected.
CALENDAR_SCOPES = (
    "openid",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
)
#: What sync cannot work without; the sign-in scopes only tell us the account.
REQUIRED_SCOPES = frozenset(CALENDAR_SCOPES[2:])
WRITABLE_ROLES = frozenset({"owner", "writer"})


@dataclass(frozen=True, slots=True)
class CalendarInfo:
    id: str
    summary: str
    access_role: str
    primary: bool
    time_zone: str | None

    @property
    def writable(self) -> bool:
        return self.access_role in WRITABLE_ROLES

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "summary": self.summary,
            "access_role": self.access_role,
            "primary": self.primary,
            "time_zone": self.time_zone,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CalendarInfo:
        return cls(
            id=str(data["id"]),
            summary=str(data.get("summary") or data["id"]),
            access_role=str(data.get("access_role") or data.get("accessRole") or "reader"),
            primary=bool(data.get("primary", False)),
            time_zone=data.get("time_zone") or data.get("timeZone"),
        )


def naive_utc(value: datetime | None) -> datetime | None:
    """google-auth compares `expiry` with a naive UTC now: an aware value would raise."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def credentials_for(
    credential: IntegrationCredential, settings: Settings, cipher: TokenCipher
) -> Credentials:
    # Built by hand: Credentials.from_authorized_user_info() resets token_uri to Google's.
    return Credentials(  # type: ignore[no-untyped-call]
        token=cipher.decrypt(credential.access_token_encrypted)
        if credential.access_token_encrypted
        else None,
        refresh_token=cipher.decrypt(credential.refresh_token_encrypted)
        if credential.refresh_token_encrypted
        else None,
        token_uri=settings.GOOGLE_TOKEN_URI,
        client_id=settings.google_client_id,
        client_secret=settings.google_client_secret,
        scopes=list(credential.scopes) or None,
        expiry=naive_utc(credential.token_expires_at),
    )


def calendar_service(credentials: Credentials, settings: Settings) -> Any:
    """A Calendar v3 service on the configured endpoint; discovery ships with the library."""
    endpoint = (settings.GOOGLE_API_ENDPOINT or "https://www.googleapis.com").rstrip("/")
    return build(
        "calendar",
        "v3",
        credentials=credentials,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": f"{endpoint}/calendar/v3/"},
    )


def list_calendars(service: Any) -> list[CalendarInfo]:
    """Every calendar on the account's list, primary first, following pages."""
    calendars: list[CalendarInfo] = []
    page_token: str | None = None
    while True:
        page = service.calendarList().list(pageToken=page_token, maxResults=250).execute()
        for item in page.get("items", []):
            calendars.append(
                CalendarInfo(
                    id=item["id"],
                    summary=item.get("summaryOverride") or item.get("summary") or item["id"],
                    access_role=item.get("accessRole", "reader"),
                    primary=bool(item.get("primary", False)),
                    time_zone=item.get("timeZone"),
                )
            )
        page_token = page.get("nextPageToken")
        if not page_token:
            break
    return sorted(calendars, key=lambda c: (not c.primary, c.summary.lower()))

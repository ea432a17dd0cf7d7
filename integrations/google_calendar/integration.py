"""Google Calendar as the product's first integration: its answers to `IntegrationPort`.

Registered as a built-in (`integrations.core.registry.BUILT_IN`). Each member hands over to the
module that holds the concept; those are imported when first asked for, so that the registry can
load this adapter (to classify an error, say) without importing the sync engine or the worker.
"""

from __future__ import annotations

from dataclasses import dataclass

from db.models import Integration
from integrations.core.failures import Classified
from integrations.google_calendar.errors import classify_google_error


@dataclass(frozen=True)
class GoogleCalendarIntegration:
    name: str = Integration.GOOGLE_CALENDAR.value

    def classify_error(self, error: BaseException) -> Classified | None:
        return classify_google_error(error)


GOOGLE_CALENDAR = GoogleCalendarIntegration()

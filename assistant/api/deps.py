"""Request dependencies: the one service and the settings the app was built with."""

from __future__ import annotations

from fastapi import Request

from assistant.application.service import AssistantService
from assistant.core.settings import Settings


def get_service(request: Request) -> AssistantService:
    return request.app.state.service


def get_settings(request: Request) -> Settings:
    return request.app.state.settings

"""The server freezes what is alive once its service is built (so full garbage collections
stop walking the models' and libraries' objects); nothing else in the process does."""

from __future__ import annotations

import gc

from assistant import server


def test_a_worker_freezes_its_startup_objects_after_building_the_app(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(server, "create_server", lambda settings: calls.append("app") or "app")
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append("collect") or 0)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    assert server.worker_app() == "app"
    assert calls == ["app", "collect", "freeze"]


def test_building_an_app_alone_freezes_nothing(monkeypatch, fake_settings):
    frozen: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    app = server.create_server(fake_settings.model_copy(update={"ui_enabled": False}))
    app.state.service.close()
    assert frozen == []

"""Links in e-mails point to the portal's own address, never to the Host a request named.

Without SERVER_NAME Flask builds an external link from the request's Host header: anyone could
ask for a password reset with `Host: evil.example` and the person would get a valid reset link
to evil.example. So production refuses to start without it.
"""
import re

import pytest

from portal import create_app
from tests.conftest import PASSWORD

SITE = "konsultacje.example.org"


@pytest.fixture
def app_config():
    return {"PRODUCTION": True, "SERVER_NAME": SITE}


def test_production_refuses_to_start_without_a_server_name(tmp_path, monkeypatch):
    monkeypatch.delenv("FLASK_SERVER_NAME", raising=False)
    with pytest.raises(RuntimeError, match="SERVER_NAME is not set. In production set FLASK_SERVER_NAME"):
        create_app({"PRODUCTION": True, "SECRET_KEY": "s" * 64}, instance_path=str(tmp_path))
    app = create_app({"PRODUCTION": True, "SECRET_KEY": "s" * 64, "SERVER_NAME": SITE},
                     instance_path=str(tmp_path))
    assert app.config["PREFERRED_URL_SCHEME"] == "https"


def test_development_still_starts_without_a_server_name(tmp_path, monkeypatch):
    monkeypatch.delenv("FLASK_SERVER_NAME", raising=False)
    assert create_app({"SECRET_KEY": "x"}, instance_path=str(tmp_path)).config["SERVER_NAME"] is None


def test_a_reset_asked_for_with_a_forged_host_mails_a_link_to_the_portal(app, make_user, smtp_sink):
    make_user("anna@fundacja.example", password=PASSWORD)
    client = app.test_client()
    # The TLS proxy in front passes the Host the client sent (Secure cookies: https).
    evil = {"base_url": "https://evil.example"}
    page = client.get("/nie-pamietam-hasla", **evil)
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post("/nie-pamietam-hasla", data={"email": "anna@fundacja.example", "csrf_token": token},
                           headers={"Referer": "https://evil.example/nie-pamietam-hasla"}, **evil)
    assert response.status_code == 200
    link = smtp_sink.last_link("anna@fundacja.example")
    assert link.startswith(f"https://{SITE}/nowe-haslo?token="), link
    assert "evil.example" not in smtp_sink.to("anna@fundacja.example")[-1].get_content()


def test_an_e_mail_from_a_scheduled_command_links_to_the_portal_over_https(app):
    from flask import url_for

    # `flask send-mail`, the digest and the sweep run outside any request.
    assert url_for("accounts.forgot_password", _external=True) == f"https://{SITE}/nie-pamietam-hasla"

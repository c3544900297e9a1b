"""The search page with results from the draft and the comments: axe finds nothing, and at
320 px the page never scrolls sideways (long words and addresses wrap in the results)."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest
from flask import current_app
from playwright.sync_api import expect

from portal import clock
from portal.extensions import db
from portal.forum import drafts, services
from portal.forum.models import Thread

SLUG = "program-wspolpracy-2021"
LONG_WORD = "Konstantynopolitańczykowianeczka" * 3
DRAFT = """## Rozdział 1. Postanowienia ogólne

Program dotyczy współpracy z organizacjami pozarządowymi w zakresie edukacji ekologicznej.

Priorytetem jest edukacja ekologiczna dzieci i młodzieży, także w szkołach podstawowych.
"""
SHOTS = os.environ.get("SEARCH_SHOTS")  # a folder: save what the browser showed there


@pytest.fixture
def searchable(torun, general, admin, anna, jan, frozen_clock):
    frozen_clock.set_local("2020-09-18 10:00:00")
    drafts.publish(torun, DRAFT, actor=admin)
    db.session.commit()
    frozen_clock.set_local("2020-09-20 12:00:00")
    thread = db.session.get(Thread, general.id)
    for author, body in (
            (anna, f"Edukację ekologiczną trzeba wspierać. {LONG_WORD} https://www.bip.torun.pl/"
                   "dokumenty/programy/wspolpraca-z-organizacjami-pozarzadowymi/2021/edukacja-ekologiczna.pdf"),
            (jan, "Za mało edukacji w programie; prosimy o więcej zajęć dla seniorów.")):
        clock.set(clock.now_utc() + timedelta(minutes=1))
        with current_app.test_request_context():  # e-mails to followers need a request for their links
            services.post_comment(author, thread, body)
            db.session.commit()


@pytest.mark.parametrize("width", [1280, 320])
def test_search_results_pass_axe_and_reflow(page, searchable, assert_accessible, width):
    page.set_viewport_size({"width": width, "height": 900 if width > 400 else 640})
    page.goto(f"/konsultacje/{SLUG}/forum/szukaj")
    page.get_by_role("searchbox", name="Szukane słowa").fill("edukacja")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=2)).to_have_text("Wyniki: 4")
    expect(page.get_by_role("heading", level=3, name="W projekcie dokumentu: 2")).to_be_visible()
    expect(page.get_by_role("link", name="Rozdział 1 ust. 2. Postanowienia ogólne")).to_have_attribute(
        "href", f"/konsultacje/{SLUG}/projekt-dokumentu#par-1-2")
    expect(page.locator("mark", has_text="edukacji").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"search-{width}.png"), full_page=True)

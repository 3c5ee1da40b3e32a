"""A survey answered on a phone, in Chromium against the whole running system:

the owner creates a campaign and sends a wave now (as a leader would, on the pages); the
worker mails the invitations; a physio opens the link from the mail in the dev outbox on a
390 x 844 screen, answers every question, sees their result, and the same link then shows
the "already used" page.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.browser.conftest import orgwell

pytestmark = pytest.mark.browser

OWNER = "owner@seaside.example"
OWNER_PASSWORD = "tide pools at noon 7"
PHYSIO = "ana.ruiz@seaside.example"
ROSTER = f"""name,email,team,role,job_title,patient_facing,start_date
Ana Ruiz,{PHYSIO},Outpatient,staff,PT,yes,2024-03-04
Ben Okafor,ben.okafor@seaside.example,Outpatient,staff,PTA,yes,2023-09-18
Cleo Park,cleo.park@seaside.example,Front office,staff,Front desk,no,2022-01-10
Dev Shah,dev.shah@seaside.example,Outpatient,staff,PT,yes,2021-06-01
Eve Lind,eve.lind@seaside.example,Outpatient,staff,PT,yes,2020-02-17
"""
PHONE = {"width": 390, "height": 844}


def test_staff_member_answers_a_survey_on_a_phone(stack, browser, shots, tmp_path):
    env, url = stack["env"], stack["url"]
    orgwell(env, "orgs", "create", "Seaside Physical Therapy", "--slug", "seaside",
            "--owner-email", OWNER, "--owner-name", "Dana Marsh",
            "--owner-password", OWNER_PASSWORD)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    orgwell(env, "staff", "import", "seaside", str(roster), "--yes")

    owner = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    owner.goto(f"{url}/login")
    owner.get_by_label("Email").fill(OWNER)
    owner.get_by_label("Password").fill(OWNER_PASSWORD)
    owner.get_by_role("button", name="Log in").click()
    owner.wait_for_url(f"{url}/o/seaside/")

    owner.goto(f"{url}/o/seaside/surveys/new")
    owner.get_by_label("Name", exact=True).fill("Spring check-in")
    owner.get_by_label("Questionnaire").select_option("cbi")
    owner.get_by_label("Call the people you treat").select_option("patients")
    # The first scheduled wave well after this one closes: a wave sent now may not overlap it.
    owner.get_by_label("First wave on").fill((date.today() + timedelta(days=10)).isoformat())
    owner.get_by_role("button", name="Save the campaign").click()
    owner.get_by_role("link", name="Send a wave now").click()
    shots(owner, "send-wave")
    owner.get_by_role("button", name="Send the wave now").click()
    owner.get_by_text("Wave sent").wait_for()

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    phone.goto(f"{url}/dev/mail/?to={PHYSIO}")
    mail_link = phone.get_by_role("link", name=re.compile("check-in"))
    _wait_for(phone, mail_link)
    mail_link.first.click()
    shots(phone, "invitation-mail")
    link = re.search(rf"{re.escape(url)}/s/[\w-]+", phone.content()).group(0)

    phone.goto(link)
    phone.get_by_role("heading", name="Spring check-in").wait_for()
    assert phone.get_by_text("Open until").is_visible()
    assert phone.get_by_text("Anonymous.").is_visible()
    assert phone.get_by_text("Do you find it hard to work with patients?").is_visible()
    _assert_no_sideways_scroll(phone)
    shots(phone, "survey-form")

    # Keyboard and screen readers: each question is a named radio group.
    first = phone.get_by_role("group", name=re.compile("How often do you feel tired"))
    assert first.get_by_role("radio").count() == 5
    items = phone.locator("fieldset.survey-item")
    assert items.count() == 19
    for index in range(items.count()):
        item = items.nth(index)
        # Mostly "Sometimes"/"Somewhat"; the first six "Often": personal burnout is high.
        item.locator("label.survey-option").nth(1 if index < 6 else 2).click()
    assert phone.get_by_text("6 of 6 answered").count() == 2  # personal and patient scales
    assert phone.get_by_text("7 of 7 answered").is_visible()
    shots(phone, "survey-answered")
    phone.get_by_role("button", name="Send my answers").click()

    phone.get_by_role("heading", name="Thank you, your answers are saved").wait_for()
    assert phone.get_by_text("shown only this once").is_visible()
    personal = phone.locator("section.result-scale").filter(has_text="Personal burnout")
    assert personal.locator(".result-score").inner_text().startswith("75")
    assert personal.get_by_text("At or above the reference line of 50").is_visible()
    assert phone.get_by_role("img", name=re.compile("Your score 75")).count() == 1
    assert phone.get_by_text("Patient-related burnout").is_visible()
    assert phone.get_by_text("not a diagnosis").first.is_visible()
    _assert_no_sideways_scroll(phone)
    shots(phone, "survey-result")

    used = phone.goto(link)
    assert used.status == 410
    assert phone.get_by_role("heading", name="This survey link has already been used").is_visible()
    assert phone.get_by_text("Your scores").count() == 0
    shots(phone, "link-used")

    # A confidential pulse, answered by the owner from "My surveys" on a phone (no mail
    # link needed), then followed under "My results".
    owner.goto(f"{url}/o/seaside/surveys/new")
    owner.get_by_label("Name", exact=True).fill("Weekly pulse")
    owner.get_by_label("Questionnaire").select_option("cbi-work")
    owner.get_by_label(re.compile("^Confidential")).check()
    owner.get_by_label("First wave on").fill((date.today() + timedelta(days=10)).isoformat())
    owner.get_by_role("button", name="Save the campaign").click()
    owner.get_by_role("link", name="Send a wave now").click()
    owner.get_by_role("button", name="Send the wave now").click()
    owner.get_by_text("Wave sent").wait_for()

    mine = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    mine.goto(f"{url}/login")
    mine.get_by_label("Email").fill(OWNER)
    mine.get_by_label("Password").fill(OWNER_PASSWORD)
    mine.get_by_role("button", name="Log in").click()
    mine.wait_for_url(f"{url}/o/seaside/")
    mine.goto(f"{url}/o/seaside/my/surveys/")
    assert mine.get_by_role("link", name="Answer Spring check-in").is_visible()
    _assert_no_sideways_scroll(mine)
    shots(mine, "my-surveys")
    mine.get_by_role("link", name="Answer Weekly pulse").click()
    items = mine.locator("fieldset.survey-item")
    for index in range(items.count()):
        items.nth(index).locator("label.survey-option").nth(3).click()
    mine.get_by_role("button", name="Send my answers").click()
    mine.get_by_role("heading", name="Thank you, your answers are saved").wait_for()
    shots(mine, "confidential-result")
    mine.get_by_role("link", name="open My results").click()
    mine.get_by_role("heading", name="My results").wait_for()
    assert mine.get_by_role("cell", name=re.compile("^3[0-9]")).count() == 1
    _assert_no_sideways_scroll(mine)
    shots(mine, "my-results")


def _assert_no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide on a phone"


def _wait_for(page, locator, attempts: int = 60) -> None:
    """The worker mails the invitations after the wave is sent; poll the dev outbox."""
    for _ in range(attempts):
        if locator.count():
            return
        page.wait_for_timeout(500)
        page.reload()
    raise AssertionError("no survey invitation reached the dev outbox")

"""The first journey, in Chromium against the whole running system:

the owner logs in, adds a team, imports a roster with one bad row (sees the error, nothing
imported), fixes it and imports; the worker sends the invitations; an invited physio opens
the link from the mail in the dev outbox, sets a password, logs in and sees their home page.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import orgwell

pytestmark = pytest.mark.browser

OWNER = "owner@lakeside.example"
OWNER_PASSWORD = "harbour lights 42"
PHYSIO = "maya.chen@lakeside.example"
PHYSIO_PASSWORD = "river stones at dawn"

BAD_ROSTER = f"""name,email,team,role,job_title,patient_facing,start_date
Maya Chen,{PHYSIO},Outpatient,staff,PT,yes,2024-03-04
Omar Haddad,not-an-email,Outpatient,staff,PTA,yes,2023-09-18
Lena Brooks,lena.brooks@lakeside.example,Front office,staff,Front desk,no,2022-01-10
"""
GOOD_ROSTER = BAD_ROSTER.replace("not-an-email", "omar.haddad@lakeside.example")


def test_owner_sets_up_and_staff_member_joins(stack, browser, shots, tmp_path):
    orgwell(stack["env"], "orgs", "create", "Lakeside Physical Therapy", "--slug", "lakeside",
            "--owner-email", OWNER, "--owner-name", "Dana Whitfield",
            "--owner-password", OWNER_PASSWORD)
    url = stack["url"]
    owner = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

    owner.goto(f"{url}/login")
    owner.get_by_label("Email").fill(OWNER)
    owner.get_by_label("Password").fill(OWNER_PASSWORD)
    owner.get_by_role("button", name="Log in").click()
    owner.wait_for_url(f"{url}/o/lakeside/")
    shots(owner, "owner-overview")

    owner.goto(f"{url}/o/lakeside/teams")
    owner.get_by_label("Name").fill("Outpatient")
    owner.get_by_role("button", name="Save").click()
    assert owner.get_by_role("heading", name=re.compile("Outpatient")).is_visible()
    shots(owner, "team-added")

    bad = tmp_path / "roster-bad.csv"
    bad.write_text(BAD_ROSTER)
    owner.goto(f"{url}/o/lakeside/staff/import/")
    owner.get_by_label("Staff list (CSV)").set_input_files(str(bad))
    owner.get_by_role("button", name="Check the file").click()
    error_row = owner.get_by_role("row").filter(has_text="not-an-email")
    error_row.wait_for()
    assert error_row.get_by_role("cell").first.inner_text() == "3"  # the header is line 1
    shots(owner, "import-error")
    owner.goto(f"{url}/o/lakeside/staff")
    assert owner.get_by_text("Maya Chen").count() == 0  # nothing imported

    good = tmp_path / "roster.csv"
    good.write_text(GOOD_ROSTER)
    owner.goto(f"{url}/o/lakeside/staff/import/")
    owner.get_by_label("Staff list (CSV)").set_input_files(str(good))
    owner.get_by_role("button", name="Check the file").click()
    owner.get_by_role("button", name=re.compile("Import 3 people")).wait_for()
    shots(owner, "import-preview")
    owner.get_by_role("button", name=re.compile("Import 3 people")).click()
    owner.get_by_role("heading", name="Import finished").wait_for(timeout=30_000)
    shots(owner, "import-finished")
    owner.goto(f"{url}/o/lakeside/staff")
    assert owner.get_by_role("rowheader", name="Maya Chen").is_visible()
    shots(owner, "staff-list")

    physio = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    physio.goto(f"{url}/dev/mail/?to={PHYSIO}")
    mail_link = physio.get_by_role("link", name=re.compile("invited you to Lakeside"))
    _wait_for_mail(physio, mail_link)
    mail_link.first.click()
    shots(physio, "invitation-mail")
    link = re.search(rf"{re.escape(url)}/invite/[\w-]+", physio.content()).group(0)

    physio.goto(link)
    physio.get_by_label("New password", exact=True).fill(PHYSIO_PASSWORD)
    physio.get_by_label("Repeat the new password").fill(PHYSIO_PASSWORD)
    shots(physio, "set-password")
    physio.get_by_role("button", name="Save password").click()
    physio.wait_for_url(f"{url}/my/lakeside")

    # On a phone the navigation is folded behind the toggler.
    # A person taps the account menu once the folded navigation has opened, and Log out once
    # that menu shows; waiting for both keeps a slow machine from tapping mid-animation.
    physio.get_by_role("button", name="Toggle navigation").click()
    expect(physio.locator("#mainnav")).to_have_class(re.compile(r"\bshow\b"))
    account = physio.get_by_role("button", name="Account of Maya Chen")
    account.click()
    expect(account).to_have_attribute("aria-expanded", "true")
    physio.get_by_role("button", name="Log out").click()
    physio.wait_for_url(f"{url}/login")
    physio.goto(f"{url}/login")
    physio.get_by_label("Email").fill(PHYSIO)
    physio.get_by_label("Password").fill(PHYSIO_PASSWORD)
    physio.get_by_role("button", name="Log in").click()
    physio.wait_for_url(f"{url}/my/lakeside")
    assert physio.get_by_text("Lakeside Physical Therapy").first.is_visible()
    shots(physio, "staff-home")

    used = physio.goto(link)
    assert used.status == 410
    assert physio.get_by_text("already been used").is_visible()


def _wait_for_mail(page, locator, attempts: int = 40) -> None:
    """The worker sends invitations after the import commits; poll the dev outbox."""
    for _ in range(attempts):
        if locator.count():
            return
        page.wait_for_timeout(500)
        page.reload()
    raise AssertionError("no invitation mail reached the dev outbox")

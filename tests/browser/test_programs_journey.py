"""The programs journey, in Chromium against the whole running system (`orgwell run-all`):

a clinic leader copies the "Burnout prehab" template and enrolls their team; the worker mails
the physio what is new; she opens the module from the mail, writes a reflection, completes
the module and sees her progress bar move; the leader then sees the completion count on the
cohort page, but never the reflection.
"""
from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
LEADER = "dana.whitfield@lakeside.example"
PHYSIO = "maya.chen@lakeside.example"
REFLECTION = "Mrs K's fear of falling stayed with me; next time I will name it and plan one step."

# Two people in one team, with passwords: the first journey already proves invitations.
SETUP = f"""
from orgwell import create_app
from orgwell.extensions import db
from tests import factories

app = create_app()
with app.app_context():
    org = factories.OrganisationFactory(name="Lakeside Physical Therapy", slug="lakeside")
    team = factories.TeamFactory(organisation=org, name="Outpatient")
    factories.MembershipFactory(organisation=org, role="leader", teams=[team],
                                user__email="{LEADER}", user__name="Dana Whitfield")
    factories.MembershipFactory(organisation=org, teams=[team],
                                user__email="{PHYSIO}", user__name="Maya Chen")
    db.session.commit()
"""


def _login(page, url: str, email: str) -> None:
    from tests.factories import PASSWORD

    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_leader_enrolls_team_and_physio_completes_a_module(stack, browser, shots):
    subprocess.run([sys.executable, "-c", SETUP], env=stack["env"], cwd=ROOT, check=True,
                   timeout=120)
    url = stack["url"]

    leader = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    leader.goto(f"{url}/login")
    _login(leader, url, LEADER)
    leader.goto(f"{url}/o/lakeside/programs/library/burnout-prehab")
    shots(leader, "template")
    leader.get_by_role("button", name="Copy to my organisation").click()
    leader.wait_for_url(re.compile(r".*/o/lakeside/programs/\d+/$"))
    program_url = leader.url
    shots(leader, "program-copied")

    leader.goto(program_url + "enroll")
    leader.get_by_label("Outpatient").check()
    leader.get_by_label("Start date").fill(datetime.now(UTC).date().isoformat())  # start today
    shots(leader, "enroll")
    leader.get_by_role("button", name="Enroll").click()
    leader.wait_for_url(re.compile(r".*/cohorts/\d+$"))
    cohort_url = leader.url
    assert leader.get_by_text("2 people enrolled").is_visible()
    shots(leader, "cohort-before")

    physio = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    physio.goto(f"{url}/dev/mail/?to={PHYSIO}")
    mail_link = physio.get_by_role("link", name=re.compile("new modules in your learning"))
    _wait_for_mail(physio, mail_link)
    mail_link.first.click()
    shots(physio, "release-mail")
    text = physio.content()
    module_link = re.search(
        rf"Compassion, not empathy overload.*?({re.escape(url)}/o/lakeside/learning/modules/\d+)",
        text, re.S,
    ).group(1)

    physio.goto(module_link)
    _login(physio, url, PHYSIO)  # the link asks her to log in, then opens the module
    physio.wait_for_url(module_link)
    assert physio.get_by_role("heading", name="Compassion, not empathy overload").is_visible()
    shots(physio, "module")

    # Before completing anything her progress bar is at zero...
    physio.goto(f"{url}/o/lakeside/learning/")
    bar = physio.get_by_role("progressbar", name="Progress in Burnout prehab")
    assert bar.get_attribute("aria-valuenow") == "0"
    assert physio.locator(".progress-bar").first.evaluate("e => e.style.width") == "0%"
    assert physio.get_by_text("0 of 6 required modules done").is_visible()
    shots(physio, "my-learning-before")
    physio.goto(module_link)

    physio.get_by_label("Your reflection").fill(REFLECTION)
    physio.get_by_role("button", name="Save my reflection").click()
    assert physio.get_by_text("Your reflection is saved").is_visible()
    physio.get_by_role("button", name="Mark as complete").click()
    physio.wait_for_url(f"{url}/o/lakeside/learning/")
    # ... and after one of six required modules it has moved up.
    bar = physio.get_by_role("progressbar", name="Progress in Burnout prehab")
    assert bar.get_attribute("aria-valuenow") == "17"  # 1 of 6 required modules
    assert physio.locator(".progress-bar").first.evaluate("e => e.style.width") == "17%"
    assert physio.get_by_text("1 of 6 required modules done").is_visible()
    shots(physio, "my-learning-after")

    leader.goto(cohort_url)
    shots(leader, "cohort-after")
    stat = leader.locator(".stat-value").filter(has_text="/").first
    assert stat.inner_text().startswith("1")
    assert "1 / 2" in leader.get_by_role("row").filter(has_text="Maya Chen").inner_text()
    assert REFLECTION[:25] not in leader.content()
    assert "fear of falling" not in leader.content()
    # Nor can the leader open her module page.
    response = leader.goto(module_link)
    assert response.status == 404


def _wait_for_mail(page, locator, attempts: int = 60) -> None:
    """The worker sends the release mail after the enrollment commits; poll the outbox."""
    for _ in range(attempts):
        if locator.count():
            return
        page.wait_for_timeout(500)
        page.reload()
    raise AssertionError("no release mail reached the dev outbox")

"""Instrument pages: leaders read, owners upload files and build pulses; a bad file lists every
problem and stores nothing; changes make new versions; other organisations' instruments 404."""
from __future__ import annotations

import html
import io
import json
import re

import yaml
from sqlalchemy import func, select

from orgwell.orgs.models import Team
from orgwell.surveys.instruments import library
from orgwell.surveys.instruments.files import load_definition_text
from orgwell.surveys.instruments.models import InstrumentVersion
from tests import factories
from tests.surveys.test_definition import small_definition


def upload(client, slug: str, content: str | bytes, filename: str = "energy.yaml"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(f"/o/{slug}/instruments/upload",
                       data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def own_versions(db, org) -> list[tuple[str, int]]:
    rows = db.session.scalars(
        select(InstrumentVersion).filter_by(organisation_id=org.id)
        .order_by(InstrumentVersion.key, InstrumentVersion.version)
    )
    return [(row.key, row.version) for row in rows]


def test_leader_sees_built_ins_with_citation_and_licence(client, auth, world):
    auth.login(world["leader_a"].email)
    page = client.get("/o/riverside/instruments/").get_data(as_text=True)
    assert "Copenhagen Burnout Inventory" in page
    assert "Work &amp; Stress 2005;19(3):192-207" in page
    assert "Free to use, commercial and non-commercial" in page
    assert "Maslach Burnout Inventory" in page  # explained as not shipped, not offered
    assert "Upload a definition file" not in page  # owners only
    assert client.get("/o/riverside/instruments/upload").status_code == 403


def test_detail_shows_items_per_scale_reversed_and_cutoff(client, auth, world):
    auth.login(world["leader_a"].email)
    page = client.get("/o/riverside/instruments/cbi").get_data(as_text=True)
    for name in ("Personal burnout", "Work-related burnout", "Client-related burnout"):
        assert name in page
    assert page.count('class="badge text-bg-warning">reversed') == 1
    assert "at least 4 of its 7 questions answered" in page
    assert "50 or more is marked “high” — a reference line, not a diagnosis" in page
    assert "Only for people who work with patients" in page
    assert "“clients” becomes “patients”" in page
    assert "Kristensen TS" in page
    download = client.get("/o/riverside/instruments/cbi/definition.json")
    assert download.status_code == 200
    assert download.json["items"][12]["reversed"] is True
    assert "attachment" in download.headers["Content-Disposition"]
    assert client.get("/o/riverside/instruments/mbi").status_code == 404
    assert client.get("/o/riverside/instruments/cbi/versions/9").status_code == 404


def test_staff_and_outsiders_cannot_read(client, auth, world):
    auth.login(world["staff_a"].email)
    assert client.get("/o/riverside/instruments/").status_code == 403
    auth.logout()
    auth.login(world["owner_y"].email)
    assert client.get("/o/riverside/instruments/cbi").status_code == 404


def test_owner_uploads_a_definition(client, auth, world, db):
    auth.login(world["owner_x"].email)
    data = small_definition() | {"version": 7}
    response = upload(client, "riverside", yaml.safe_dump(data))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/o/riverside/instruments/energy/versions/1")
    assert own_versions(db, world["org_x"]) == [("energy", 1)]
    row = db.session.scalar(select(InstrumentVersion).filter_by(key="energy"))
    assert row.source == "upload" and row.definition["version"] == 1  # OrgWell numbers versions
    assert row.created_by_id == world["owner_x"].id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Energy check" in page and "Uploaded file" in page
    listing = client.get("/o/riverside/instruments/").get_data(as_text=True)
    assert "Energy check" in listing


def test_a_bad_file_lists_every_problem_and_stores_nothing(client, auth, world, db):
    auth.login(world["owner_x"].email)
    data = small_definition()
    data["items"][0]["scale"] = "nowhere"
    data["items"][1]["answer_set"] = "missing"
    data["scales"][1]["min_answered"] = 4
    response = upload(client, "riverside", json.dumps(data), "energy.json")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nothing was saved: the file has 4 problems" in page
    assert "items[0].scale: no scale has the key &#39;nowhere&#39;." in page
    assert "items[1].answer_set: no answer set has the key &#39;missing&#39;." in page
    assert "scales[0].min_answered: 2 is more than the 0 item(s)" not in page
    assert "scales[1].min_answered: 4 is more than the 1 item(s)" in page
    assert own_versions(db, world["org_x"]) == []


def test_unreadable_too_large_and_built_in_files_are_refused(client, auth, world, db):
    auth.login(world["owner_x"].email)
    page = upload(client, "riverside", "key: x\nitems: [a\n").get_data(as_text=True)
    assert "not valid YAML" in page and "line 3" in page
    page = upload(client, "riverside", b"key: \xff\xfe").get_data(as_text=True)
    assert "not UTF-8 text" in page
    big = "# padding\n" * 25_000
    page = upload(client, "riverside", big).get_data(as_text=True)
    assert "kB is more than the 200 kB" in page
    page = upload(client, "riverside", json.dumps(builtin_like()), "cbi.json").get_data(
        as_text=True)
    assert "&#39;cbi&#39; is a built-in instrument" in page
    page = upload(client, "riverside", "x", "energy.txt").get_data(as_text=True)
    assert "Upload a .json, .yaml or .yml file." in page
    assert own_versions(db, world["org_x"]) == []


def builtin_like() -> dict:
    from orgwell.surveys.instruments.files import builtin

    return builtin("cbi").to_dict()


def test_uploading_a_key_again_makes_a_new_version_and_keeps_the_old(client, auth, world, db):
    auth.login(world["owner_x"].email)
    upload(client, "riverside", yaml.safe_dump(small_definition()))
    changed = small_definition()
    changed["items"][0]["text"] = "Drained after work?"
    assert upload(client, "riverside", yaml.safe_dump(changed)).status_code == 302
    same_again = upload(client, "riverside", yaml.safe_dump(changed))
    assert same_again.headers["Location"].endswith("/energy/versions/2")
    assert own_versions(db, world["org_x"]) == [("energy", 1), ("energy", 2)]
    v1, _ = library.get_version(world["org_x"], "energy", 1)
    assert v1.instrument.item("e1").text == "Drained?"
    latest, instrument = library.get_version(world["org_x"], "energy")
    assert latest.version == 2 and instrument.item("e1").text == "Drained after work?"
    page = client.get("/o/riverside/instruments/energy").get_data(as_text=True)
    assert "Version 1" in page and "<strong>Version 2</strong>" in page


def test_owner_builds_and_edits_a_custom_pulse(client, auth, world, db):
    auth.login(world["owner_x"].email)
    form = {
        "name": "Monthly energy check",
        "statements": "I feel drained after work.\n\nI dread the next working day.\n"
                      "I have no time to recover.",
        "answer_set": "agree",
        "direction": "higher_is_worse",
        "scale_name": "Strain",
        "cutoff": "60",
    }
    response = client.post("/o/riverside/instruments/new-pulse", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    row, pulse = library.get_version(world["org_x"], "pulse-monthly-energy-check")
    assert (row.version, row.source) == (1, "custom")
    assert [item.text for item in pulse.items] == [
        "I feel drained after work.", "I dread the next working day.",
        "I have no time to recover.",
    ]
    scale = pulse.scales[0]
    assert (scale.name, scale.min_answered, scale.cutoff) == ("Strain", 2, 60.0)
    assert [o.label for o in pulse.options_for(pulse.items[0])][0] == "Strongly agree"

    edit_url = "/o/riverside/instruments/pulse-monthly-energy-check/edit"
    page = client.get(edit_url).get_data(as_text=True)
    assert "I dread the next working day." in page and "Saving makes version 2" in page
    edited = form | {"statements": "I feel drained after work.\nI sleep badly.", "cutoff": ""}
    assert client.post(edit_url, data=edited).status_code == 302
    assert own_versions(db, world["org_x"]) == [("pulse-monthly-energy-check", 1),
                                                ("pulse-monthly-energy-check", 2)]
    v1 = library.get_version(world["org_x"], "pulse-monthly-energy-check", 1)[1]
    v2 = library.get_version(world["org_x"], "pulse-monthly-energy-check", 2)[1]
    assert len(v1.items) == 3 and v1.scales[0].cutoff == 60.0
    assert len(v2.items) == 2 and v2.scales[0].cutoff is None
    # Saving without changes makes no third version.
    client.post(edit_url, data=edited)
    assert len(own_versions(db, world["org_x"])) == 2
    # Built-ins and uploaded files are not edited here.
    assert client.get("/o/riverside/instruments/cbi/edit").status_code == 404


def test_bad_pulse_forms_show_errors_and_store_nothing(client, auth, world, db):
    auth.login(world["owner_x"].email)
    base = {"name": "Check", "statements": "One.", "answer_set": "frequency",
            "direction": "higher_is_worse", "scale_name": "", "cutoff": ""}
    cases = [
        ({"statements": "\n".join(f"Statement {n}." for n in range(11))},
         "Write 1 to 10 statements, one per line (you wrote 11)."),
        ({"statements": "  \n "}, "Write at least one statement."),
        ({"statements": "Same.\nsame."}, "Statement 2 repeats an earlier one."),
        ({"cutoff": "150"}, "Give a number from 0 to 100."),
        ({"cutoff": "NaN"}, "Give a number from 0 to 100."),
        ({"cutoff": "lots"}, "Not a valid decimal value."),
        ({"answer_set": "mbi"}, "Not a valid choice."),
        ({"name": ""}, "This field is required."),
    ]
    for change, message in cases:
        response = client.post("/o/riverside/instruments/new-pulse", data=base | change)
        assert response.status_code == 200, change
        assert message in response.get_data(as_text=True), change
    assert own_versions(db, world["org_x"]) == []
    client.post("/o/riverside/instruments/new-pulse", data=base)
    again = client.post("/o/riverside/instruments/new-pulse", data=base)
    assert "An instrument with this name exists already" in again.get_data(as_text=True)
    assert own_versions(db, world["org_x"]) == [("pulse-check", 1)]


def test_leaders_cannot_build_or_edit(client, auth, world):
    auth.login(world["leader_a"].email)
    assert client.get("/o/riverside/instruments/new-pulse").status_code == 403
    assert client.post("/o/riverside/instruments/new-pulse", data={}).status_code == 403


def test_another_organisations_instrument_does_not_exist_here(client, auth, world, db):
    library.upload_definition(world["org_y"], yaml.safe_dump(small_definition()), "e.yaml",
                              None)
    db.session.commit()
    auth.login(world["owner_x"].email)
    assert client.get("/o/riverside/instruments/energy").status_code == 404
    assert client.get("/o/riverside/instruments/energy/definition.json").status_code == 404
    assert "Energy check" not in client.get("/o/riverside/instruments/").get_data(as_text=True)
    # The same key is free for this organisation: keys are per organisation.
    assert upload(client, "riverside", yaml.safe_dump(small_definition())).status_code == 302
    assert library.get_version(world["org_x"], "energy")[0].organisation_id == world["org_x"].id


def test_built_ins_are_stored_once(db, world):
    first = library.sync_builtins()
    again = library.sync_builtins()
    assert [r.id for r in first] == [r.id for r in again]
    count = db.session.scalar(select(func.count()).select_from(InstrumentVersion))
    assert count == 2
    assert [a.latest.key for a in library.available_instruments(world["org_x"])] == [
        "cbi", "cbi-work"]


def test_a_version_used_by_a_campaign_is_in_use(db, world, make_campaign):
    row, _ = library.get_version(world["org_x"], "cbi-work")
    assert not library.is_in_use(row)
    make_campaign(world["org_x"], instrument_key="cbi-work")
    assert library.is_in_use(row)
    assert not library.is_in_use(library.get_version(world["org_x"], "cbi")[0])


def test_the_example_on_the_upload_page_is_a_valid_definition(client, auth, world):
    auth.login(world["owner_x"].email)
    page = client.get("/o/riverside/instruments/upload").get_data(as_text=True)
    example = html.unescape(re.search(r'definition-example"><code>(.*?)</code>', page,
                                      re.DOTALL).group(1))
    instrument = load_definition_text(example, "example.yaml")
    assert [item.key for item in instrument.items if item.reversed] == ["e2"]


def test_a_built_in_stored_by_another_process_meanwhile_is_reused(db, world):
    """Two processes materialising the built-ins at once: the loser uses the winner's row."""
    from sqlalchemy.orm import Session

    from orgwell.surveys.instruments.files import builtin

    with Session(db.engine) as other:
        other.add(InstrumentVersion(key="cbi", version=1, name="Copenhagen Burnout Inventory",
                                    source="builtin", definition=builtin("cbi").to_dict()))
        other.commit()
    team = factories.TeamFactory(organisation=world["org_x"], name="Raced")  # work in progress
    row = library._insert(None, builtin("cbi"), "builtin", None)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Team, team.id).name == "Raced"  # the refusal undid only the insert
    assert row.key == "cbi" and row.version == 1
    count = db.session.scalar(select(func.count()).select_from(InstrumentVersion)
                              .filter_by(key="cbi"))
    assert count == 1

"""The owner's export holds the organisation's data but no reflections; my data holds mine."""
from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import func, select

from orgwell.extensions import db
from orgwell.orgs.models import Membership
from orgwell.surveys.models import Response
from tests.privacy.conftest import EMAIL


def _export(client) -> dict[str, list[dict]]:
    with client.post("/o/riverside/privacy/export") as response:
        assert response.status_code == 200
        assert response.mimetype == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(response.data))
    tables = {}
    for name in archive.namelist():
        if name.endswith(".jsonl"):
            lines = archive.read(name).decode().splitlines()
            tables[name.removesuffix(".jsonl")] = [json.loads(line) for line in lines]
    tables["_raw"] = b"".join(archive.read(n) for n in archive.namelist())
    tables["_manifest"] = json.loads(archive.read("manifest.json"))
    return tables


def test_the_export_holds_the_organisation_but_no_reflection(filled, client, auth):
    auth.login(filled["owner_x"].email)
    tables = _export(client)
    raw = tables["_raw"].decode()
    assert "Private reflection" not in raw and "reflection_text" not in raw
    assert "breathed for ten minutes" not in raw  # practice notes are private too
    assert "token_hash" not in raw and "password_hash" not in raw
    assert "token_nonce" not in raw and "nonce-" not in raw
    members = db.session.scalar(select(func.count()).select_from(Membership)
                                .filter_by(organisation_id=filled["org_x"].id))
    assert len(tables["memberships"]) == members
    assert {t["name"] for t in tables["teams"]} == {"North clinic", "North PT", "South PT"}
    assert EMAIL in {u["email"] for u in tables["users"]}
    assert len(tables["program_assignments"]) == 3 * len(filled["people_x"])
    assert tables["survey_waves"] and tables["survey_campaigns"] and tables["audit_events"]
    assert "Harbor" not in {o["name"] for o in tables["organisations"]}
    assert tables["_manifest"]["rows"]["memberships"] == members


def test_exported_answers_are_anonymous_and_respect_k(filled, client, auth):
    auth.login(filled["owner_x"].email)
    answers = _export(client)["survey_answers"]
    stored = db.session.scalar(select(func.count()).select_from(Response)
                               .filter_by(organisation_id=filled["org_x"].id))
    assert len(answers) == stored
    assert all(set(a) == {"wave_id", "team_id", "wording", "patient_facing", "answers", "scores"}
               for a in answers)
    # Team B has 3 people of whom 2 answered: below k = 3, so its team is withheld.
    teams = {a["team_id"] for a in answers}
    assert filled["team_a"].id in teams and filled["team_b"].id not in teams and None in teams


def test_my_data_holds_my_reflections_and_results_only(filled, client, auth):
    staff = filled["staff_a"]
    auth.login(staff.email)
    page = client.get("/o/riverside/privacy/my-data")
    assert page.status_code == 200
    response = client.post("/o/riverside/privacy/my-data")
    assert response.status_code == 200 and response.mimetype == "application/json"
    mine = json.loads(response.data)
    assert mine["profile"][0]["email"] == staff.email
    reflections = [a["reflection_text"] for a in mine["program_assignments"]
                   if a["reflection_text"]]
    assert reflections == [f"Private reflection of {staff.name}: I felt drained after clinic."]
    assert len(mine["survey_results"]) == 2
    assert mine["program_practice_log"][0]["note"].endswith("breathed for ten minutes")
    assert "Zebedee" not in response.get_data(as_text=True)
    assert "id_hash" not in response.get_data(as_text=True)


def test_only_owners_export_and_other_organisations_see_nothing(filled, client, auth):
    for persona, status in (("leader_a", 403), ("staff_a", 403), ("consultant_x", 403),
                            ("owner_y", 404)):
        auth.login(filled[persona].email)
        with client.post("/o/riverside/privacy/export") as response:
            assert response.status_code == status
        assert client.get("/o/riverside/privacy/").status_code == status
        auth.logout()
    auth.login(filled["owner_y"].email)
    assert client.get("/o/riverside/privacy/my-data").status_code == 404

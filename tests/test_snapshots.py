"""tests/snapshots.py: data built once per process is copied only onto the same history."""
from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime

import time_machine
from sqlalchemy import func, select

from orgwell.extensions import db
from orgwell.models import Organisation, Team
from tests import factories, snapshots
from tests.conftest import _test_app


class Builder:
    """Builds an organisation with two teams; counts the real builds."""

    def __init__(self, name: str = "Snap") -> None:
        self.name = name
        self.builds = 0

    def __call__(self) -> dict:
        self.builds += 1
        org = factories.OrganisationFactory(name=self.name, slug=f"s-{uuid.uuid4().hex[:8]}")
        teams = [factories.TeamFactory(organisation=org, name=f"T{n}") for n in range(2)]
        db.session.commit()
        return {"org": org, "teams": teams, "label": "kept", "pair": (1, org)}


def _fresh_app(tmp_path, empty_database, name: str):
    folder = tmp_path / name
    folder.mkdir()
    shutil.copyfile(empty_database, folder / "test.sqlite")
    app = _test_app(folder)
    return app


def _in_fresh_app(tmp_path, empty_database, name, body):
    app = _fresh_app(tmp_path, empty_database, name)
    with app.app_context():
        snapshots.track(app)
        try:
            return body()
        finally:
            db.session.remove()
            db.engine.dispose()


def _rows():
    return (
        db.session.scalar(select(func.count()).select_from(Organisation)),
        db.session.scalar(select(func.count()).select_from(Team)),
    )


def test_a_second_app_gets_the_same_rows_and_objects_without_a_build(tmp_path, empty_database):
    key, build = f"k-{uuid.uuid4()}", Builder()

    def first():
        value = snapshots.reuse(key, build)
        return value["org"].id, [t.id for t in value["teams"]], value["org"].slug

    def second():
        value = snapshots.reuse(key, build)
        assert db.session.object_session(value["org"]) is db.session()  # loaded, not copied
        assert value["pair"][1] is value["org"]  # one identity, one object
        assert value["label"] == "kept"
        assert [t.organisation is value["org"] for t in value["teams"]] == [True, True]
        assert _rows() == (1, 2)
        return value["org"].id, [t.id for t in value["teams"]], value["org"].slug

    built = _in_fresh_app(tmp_path, empty_database, "a", first)
    copied = _in_fresh_app(tmp_path, empty_database, "b", second)
    assert build.builds == 1
    assert copied == built


def test_a_write_before_the_fixture_means_a_real_build(tmp_path, empty_database):
    key, build = f"k-{uuid.uuid4()}", Builder()
    _in_fresh_app(tmp_path, empty_database, "a", lambda: snapshots.reuse(key, build))

    def after_a_write():
        factories.OrganisationFactory(name="Mine", slug="mine")
        db.session.commit()
        snapshots.reuse(key, build)
        assert _rows() == (2, 2)  # its own row kept, the fixture's built beside it

    _in_fresh_app(tmp_path, empty_database, "b", after_a_write)
    assert build.builds == 2


def test_fixtures_on_top_of_each_other_are_kept_as_a_chain(tmp_path, empty_database):
    base, top = f"base-{uuid.uuid4()}", f"top-{uuid.uuid4()}"
    base_build, top_build = Builder("Base"), Builder("Top")

    def both():
        snapshots.reuse(base, base_build)
        snapshots.reuse(top, top_build)
        return _rows()

    def top_alone():
        snapshots.reuse(top, top_build)  # not on the base this time: its own history
        return _rows()

    assert _in_fresh_app(tmp_path, empty_database, "a", both) == (2, 4)
    assert _in_fresh_app(tmp_path, empty_database, "b", both) == (2, 4)
    assert (base_build.builds, top_build.builds) == (1, 1)
    assert _in_fresh_app(tmp_path, empty_database, "c", top_alone) == (1, 2)
    assert top_build.builds == 2


def test_a_held_clock_is_part_of_the_key(tmp_path, empty_database):
    key, build = f"k-{uuid.uuid4()}", Builder()
    for n, hour in enumerate((9, 9, 10)):
        with time_machine.travel(datetime(2026, 3, 2, hour, tzinfo=UTC), tick=False):
            _in_fresh_app(tmp_path, empty_database, f"app{n}", lambda: snapshots.reuse(key, build))
    assert build.builds == 2  # 09:00 twice (one build), then 10:00


def test_a_build_left_uncommitted_is_not_kept(tmp_path, empty_database):
    key = f"k-{uuid.uuid4()}"
    builds = []

    def pending():
        builds.append(1)
        org = factories.OrganisationFactory(name="Pending", slug="pending")
        db.session.flush()
        return org

    for name in ("a", "b"):
        _in_fresh_app(tmp_path, empty_database, name, lambda: snapshots.reuse(key, pending))
    assert len(builds) == 2

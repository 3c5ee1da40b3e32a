"""The erase-leavers job on a real Celery worker: run twice, one erasure, mail emptied."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from orgwell.auth.models import User
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.notifications.models import OutboxMessage
from orgwell.privacy.models import Erasure
from tests import factories
from worker.privacy import erase_leavers


def test_the_worker_erases_a_long_gone_leaver_once(worker_app, celery_worker):
    org = factories.OrganisationFactory()
    gone = factories.MembershipFactory(organisation=org, status="left",
                                       left_on=utcnow().date() - timedelta(days=400))
    recent = factories.MembershipFactory(organisation=org, status="left",
                                         left_on=utcnow().date() - timedelta(days=10))
    db.session.add(OutboxMessage(key="x:1", organisation_id=org.id, to_addr=gone.user.email,
                                 subject="Hello", text_body=f"Hello {gone.user.name}",
                                 status="sent"))
    gone_user, gone_email = gone.user_id, gone.user.email
    db.session.commit()

    erase_leavers.delay()
    erase_leavers.delay()

    def erased() -> int:
        return db.session.scalar(select(func.count()).select_from(Erasure))

    celery_worker.wait_until(erased, what="the leaver to be erased")
    db.session.expire_all()
    assert db.session.scalars(select(Erasure.membership_id)).all() == [gone.id]
    assert db.session.get(User, gone_user).email != gone_email
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.to_addr == gone_email)) == 0
    assert recent.user.name != "Erased person"

"""factory_boy factories for the core models; every factory flushes into the test session."""
from __future__ import annotations

from datetime import date

import factory
from argon2 import PasswordHasher

from orgwell.extensions import db
from orgwell.models import ConsultantGrant, Membership, Organisation, Team, TeamAssignment, User

PASSWORD = "correct horse battery"
# One cheap argon2 hash serves every factory-made user: verifying uses the parameters inside
# the hash, so logins in tests stay fast while the app keeps argon2-cffi's strong defaults.
_PASSWORD_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


class _Base(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class UserFactory(_Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    name = factory.Faker("name")
    password_hash = _PASSWORD_HASH


class OrganisationFactory(_Base):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Practice {n}")
    slug = factory.Sequence(lambda n: f"practice-{n}")


class TeamFactory(_Base):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class MembershipFactory(_Base):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = "staff"
    job_title = "PT"
    start_date = date(2025, 1, 6)

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        for team in extracted or []:
            db.session.add(TeamAssignment(membership=self, team=team, started_on=date(2025, 1, 6)))
        db.session.flush()


class ConsultantGrantFactory(_Base):
    class Meta:
        model = ConsultantGrant

    consultant = factory.SubFactory(UserFactory, consulting_firm="FlexHealth Consulting")
    organisation = factory.SubFactory(OrganisationFactory)

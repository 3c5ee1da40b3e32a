"""`orgwell users create-admin` and `orgwell tokens create|list|revoke`."""
from __future__ import annotations

import pytest

from orgwell.auth.models import ApiToken, User
from orgwell.auth.passwords import verify_password
from orgwell.extensions import db
from tests import factories

PASSWORD = "a long admin passphrase"



def _user(email: str) -> User | None:
    return db.session.scalar(db.select(User).filter_by(email=email))


def test_create_admin_with_password(cli):
    result = cli("users", "create-admin", "Root@Example.org", "--name", "Rita Root",
                 "--password", PASSWORD)
    assert result.exit_code == 0, result.output
    assert "Created site administrator root@example.org" in result.output
    user = _user("root@example.org")
    assert user.is_site_admin and user.name == "Rita Root"
    assert verify_password(user.password_hash, PASSWORD)


def test_create_admin_prompts_twice_for_the_password(cli):
    result = cli("users", "create-admin", "root@example.org", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input
    assert _user("root@example.org").name == "root"


def test_create_admin_prompt_mismatch_asks_again(cli):
    result = cli("users", "create-admin", "root@example.org",
                 input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0 and "do not match" in result.output.lower()


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope", "--password", PASSWORD], "not a valid email"),
        (["root@example.org", "--password", "short"], "at least"),
        (["root@example.org", "--password", "qwertyuiop"], "too common"),
    ],
)
def test_create_admin_bad_input(cli, args, message):
    result = cli("users", "create-admin", *args)
    assert result.exit_code == 2 and message in result.output
    assert _user("root@example.org") is None


def test_create_admin_refuses_an_existing_email(cli, db):
    factories.UserFactory(email="taken@example.org")
    db.session.commit()
    result = cli("users", "create-admin", "taken@example.org", "--password", PASSWORD)
    assert result.exit_code == 2 and "already has an account" in result.output


def test_tokens_create_list_revoke(cli, db, client):
    user = factories.UserFactory(email="api@example.org")
    db.session.commit()
    created = cli("tokens", "create", "api@example.org", "--name", "reports")
    assert created.exit_code == 0, created.output
    raw = created.output.strip().splitlines()[-1]
    assert raw.startswith("ow_")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200

    listed = cli("tokens", "list", "api@example.org")
    assert listed.exit_code == 0 and "reports" in listed.output and "active" in listed.output
    assert raw not in listed.output and raw[:10] in listed.output

    token = db.session.scalar(db.select(ApiToken).filter_by(user_id=user.id))
    revoked = cli("tokens", "revoke", str(token.id))
    assert revoked.exit_code == 0 and "Revoked token" in revoked.output
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    again = cli("tokens", "revoke", str(token.id))
    assert again.exit_code == 0 and "already revoked" in again.output
    assert "revoked" in cli("tokens", "list", "api@example.org").output


def test_tokens_list_without_tokens(cli, db):
    factories.UserFactory(email="none@example.org")
    db.session.commit()
    result = cli("tokens", "list", "none@example.org")
    assert result.exit_code == 0 and "no API tokens" in result.output


def test_tokens_bad_input(cli, db):
    assert cli("tokens", "create", "ghost@example.org").exit_code == 1
    assert cli("tokens", "list", "ghost@example.org").exit_code == 1
    unknown = cli("tokens", "revoke", "4242")
    assert unknown.exit_code == 1 and "no API token has the id 4242" in unknown.output
    assert cli("tokens", "revoke", "abc").exit_code == 2
    factories.UserFactory(email="api@example.org")
    db.session.commit()
    assert cli("tokens", "create", "api@example.org", "--name", "x" * 81).exit_code == 2
    assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 0

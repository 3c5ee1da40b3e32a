def test_login_page(client):
    assert client.get("/login").status_code == 200


def test_login_and_me(client, auth, world):
    auth.login(world["owner_x"].email)
    me = client.get("/api/v1/me").get_json()
    assert me["organisations"] == [{"slug": "riverside", "name": "Riverside", "role": "owner"}]

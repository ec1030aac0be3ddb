"""The error envelope: every API error is JSON {"code", "detail", ...}, never HTML, never a 500."""

import pytest

from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def test_malformed_json_is_400_invalid(staff_client, event):
    response = staff_client.generic(
        "PATCH", f"/api/v1/events/{event.pk}/", '{"title": "x",', content_type="application/json"
    )
    assert_error(response, 400, "invalid")


def test_malformed_json_on_a_public_endpoint(anon_client):
    response = anon_client.generic("POST", "/api/v1/auth/token/", "{nope", content_type="application/json")
    assert_error(response, 400, "invalid")


def test_a_body_that_is_not_json_is_415(buyer_client, event):
    response = buyer_client.generic(
        "POST",
        f"/api/v1/events/{event.pk}/holds/",
        "seat_ids=1",
        content_type="application/x-www-form-urlencoded",
    )
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v2/events/", "/api/", "/api/v1/events/1/nothing/"])
def test_unknown_api_paths_are_json_404(anon_client, path):
    assert_error(anon_client.get(path), 404, "not_found")


def test_unknown_api_paths_are_json_404_for_writes_too(buyer_client):
    assert_error(buyer_client.post("/api/v1/nope/", {}, format="json"), 404, "not_found")


def test_an_unknown_object_is_json_404(anon_client):
    assert_error(anon_client.get("/api/v1/events/999999/"), 404, "not_found")


def test_a_malformed_id_is_404_not_500(anon_client):
    assert_error(anon_client.get("/api/v1/venues/abc/"), 404, "not_found")


def test_a_wrong_method_is_405_json(anon_client, buyer_client):
    assert_error(anon_client.delete("/api/v1/events/"), 401, "not_authenticated")
    assert_error(buyer_client.delete("/api/v1/auth/me/"), 405, "method_not_allowed")
    assert_error(anon_client.get("/api/v1/auth/register/"), 405, "method_not_allowed")


def test_validation_errors_carry_fields(staff_client):
    body = assert_error(staff_client.post("/api/v1/venues/", {}, format="json"), 400, "invalid")
    assert {"name", "kind", "city"} <= set(body["fields"])


def test_the_body_must_be_an_object_where_one_is_expected(staff_client):
    body = assert_error(staff_client.post("/api/v1/venues/", [1, 2], format="json"), 400, "invalid")
    assert body["fields"]


def test_health(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}

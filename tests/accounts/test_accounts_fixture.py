import pytest

from tests.conftest import login

ROLES = ("producer_a", "producer_b", "officer", "moderator", "facilitator", "admin")


@pytest.mark.parametrize("name", ROLES)
def test_each_role_signs_in_through_the_form(app, accounts, name):
    response = login(app.test_client(), accounts.by_name(name))
    assert response.status_code == 302

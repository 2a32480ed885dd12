import pytest

from tests.fixtures.emulator import make_mturk_client


@pytest.fixture
def account_mturk(local_account, emulator_server):
    """A plain boto3 client acting as the same requester as `local_account` (outside the dashboard)."""
    return make_mturk_client(emulator_server.url, access_key_id=local_account.access_key_id)

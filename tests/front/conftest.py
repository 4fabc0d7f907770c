"""Front tests use the stand-in fixtures from sandbox/front/pytest_plugin.py (registered in the root
conftest.py): `front_standin` and `front_client`."""

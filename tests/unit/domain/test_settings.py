from dataclasses import replace

import pytest

from domain.db import Database
from domain.settings import Settings, SettingsError

SECRET = "x" * 32


def test_defaults_are_embedded_sqlite_with_generated_key(tmp_path):
    settings = Settings.from_env({"INSTANCE_PATH": str(tmp_path)})
    assert settings.embedded
    assert settings.database_url == f"sqlite:///{tmp_path / 'voltline.db'}"
    assert len(settings.jwt_secret_key) >= 32
    again = Settings.from_env({"INSTANCE_PATH": str(tmp_path)})
    assert again.jwt_secret_key == settings.jwt_secret_key


def test_postgres_url_is_normalised_to_psycopg2():
    settings = Settings.from_env(
        {"DATABASE_URL": "postgresql://u:p@db:5432/v", "JWT_SECRET_KEY": SECRET}
    )
    assert settings.database_url == "postgresql+psycopg2://u:p@db:5432/v"
    assert not settings.uses_sqlite


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://x/y", "JWT_SECRET_KEY": SECRET}, "DATABASE_URL"),
        ({"REDIS_URL": "redis://localhost", "JWT_SECRET_KEY": "short"}, "JWT_SECRET_KEY"),
        ({"REDIS_URL": "redis://localhost"}, "JWT_SECRET_KEY"),
        ({"REDIS_URL": "localhost:6379", "JWT_SECRET_KEY": SECRET}, "REDIS_URL"),
        ({"HEARTBEAT_INTERVAL": "abc"}, "HEARTBEAT_INTERVAL"),
        ({"HEARTBEAT_INTERVAL": "0"}, "HEARTBEAT_INTERVAL"),
        ({"OCPP_AUTO_REGISTER": "maybe"}, "OCPP_AUTO_REGISTER"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
    ],
)
def test_bad_values_name_the_variable(tmp_path, environ, variable):
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"INSTANCE_PATH": str(tmp_path), **environ})
    assert str(raised.value).startswith(variable)
    assert "\n" not in str(raised.value)


def test_auto_register_accepts_true(tmp_path):
    settings = Settings.from_env({"INSTANCE_PATH": str(tmp_path), "OCPP_AUTO_REGISTER": "true"})
    assert settings.ocpp_auto_register is True


def test_the_database_pool_comes_from_the_settings(tmp_path):
    settings = Settings.from_env(
        {"INSTANCE_PATH": str(tmp_path), "DB_POOL_SIZE": "40", "DB_MAX_OVERFLOW": "0"}
    )
    database = Database.from_settings(
        replace(settings, database_url="postgresql+psycopg2://nobody@127.0.0.1:1/none")
    )
    try:
        assert (database.engine.pool.size(), database.engine.pool._max_overflow) == (40, 0)
    finally:
        database.dispose()


@pytest.mark.parametrize("variable", ["DB_POOL_SIZE", "DB_MAX_OVERFLOW"])
def test_a_pool_size_that_is_not_a_count_is_refused(tmp_path, variable):
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({"INSTANCE_PATH": str(tmp_path), variable: "-1"})

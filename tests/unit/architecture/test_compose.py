"""There is no Docker engine here: check the compose file parses and matches the README."""

import yaml

from domain.settings import PROJECT_ROOT


def compose():
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_five_services_with_healthchecks_where_needed():
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    for name in ("postgres", "redis", "web"):
        assert "healthcheck" in services[name], name
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://")
        assert env["REDIS_URL"].startswith("redis://")
        assert "JWT_SECRET_KEY" in env


def test_service_commands_are_the_ones_the_readme_documents():
    services = compose()["services"]
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert services["worker"]["command"] == "celery -A tasks worker --loglevel=INFO"
    assert services["beat"]["command"].startswith("celery -A tasks beat --loglevel=INFO")
    assert "celery -A tasks worker --loglevel=INFO" in readme
    assert "celery -A tasks beat --loglevel=INFO" in readme
    web = services["web"]["command"]
    assert "flask --app wsgi db-upgrade" in web and "flask --app wsgi db-upgrade" in readme
    assert "gunicorn --config gunicorn.conf.py" in web
    serve = (PROJECT_ROOT / "bin" / "serve").read_text()
    assert "gunicorn --config gunicorn.conf.py" in serve

"""Every environment variable Settings reads is documented in the README's table, and every
row of that table is a variable something reads."""

from domain.settings import PROJECT_ROOT, Settings

# Rows of the configuration table read by bin/serve, not by Settings.
READ_BY_BIN_SERVE = {"BIND", "WEB_WORKERS"}


class RecordingEnvironment(dict):
    """An environment mapping that remembers every variable looked up in it."""

    def __init__(self, **values: str):
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, name, default=None):
        self.read.add(name)
        return super().get(name, default)

    def __getitem__(self, name):
        self.read.add(name)
        return super().__getitem__(name)


def configuration_table_variables() -> set[str]:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    return {
        line.split("`")[1]
        for line in section.splitlines()
        if line.startswith("| `") and line.split("`")[1].isupper()
    }


def test_the_readme_configuration_table_lists_exactly_what_settings_reads(tmp_path):
    environment = RecordingEnvironment(INSTANCE_PATH=str(tmp_path))
    Settings.from_env(environment)
    assert "DATABASE_URL" in environment.read and "NODE_ID" in environment.read
    assert configuration_table_variables() == environment.read | READ_BY_BIN_SERVE

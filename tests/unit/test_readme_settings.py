"""Every environment variable Settings reads is documented in the README's table."""

import re

from domain.settings import PROJECT_ROOT


def test_every_setting_has_a_row_in_the_readme_configuration_table():
    source = (PROJECT_ROOT / "domain" / "settings.py").read_text()
    variables = set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]+)"', source))
    assert len(variables) > 20
    readme = (PROJECT_ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, re.M))
    assert variables <= documented, sorted(variables - documented)

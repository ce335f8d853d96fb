"""Kestra's ``io.kestra.plugin.dbt.cli`` tasks: dbt commands as script tasks.

``kestrelflow[dbt]`` installs dbt-core with the DuckDB adapter; other adapters are pip
packages to add beside it (or use a Docker task runner with Kestra's dbt images).
"""

from plugins.dbt.cli import Build, DbtCLI

__all__ = ["Build", "DbtCLI"]

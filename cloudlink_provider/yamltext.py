"""How a YAML file that does not parse is named in one line: where (line, column, as an editor counts them)
and what the parser found. The stack files, the triage file and the standards use it."""

from __future__ import annotations


def yaml_problem(e: Exception) -> str:
    """`not valid YAML at line 3, column 7: mapping values are not allowed here`, from a `yaml.YAMLError`."""
    mark = getattr(e, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"not valid YAML{where}: {getattr(e, 'problem', None) or type(e).__name__}"

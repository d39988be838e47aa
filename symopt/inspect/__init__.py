"""Reading results: hall-of-fame tables, lineages, loss-curve comparisons and an HTML report.

Every function here reads a run directory as it is (a run still in progress included:
a truncated last log line is skipped) and raises :class:`symopt.errors.UserError`
with one line when the directory is missing or damaged. See ``docs/inspect.md``.
"""

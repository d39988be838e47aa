"""One module per ``symopt`` sub-command (see :mod:`symopt.cli`)."""

"""The ``casesearch`` command: one subcommand per task, each a thin shell over the stages."""

"""The plan's targets (the ``targets:`` section) and the scorecard that judges them per year."""

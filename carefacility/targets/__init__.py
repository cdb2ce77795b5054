"""The plan's targets (the ``targets:`` section) and the scorecard that judges them per year;
the place's published figures (the ``observed:`` section) and the back-test against them."""

"""Day-care centres and meal points: the ``services:`` section, demand from care need, coverage
of communities, and the daily vectorised engine."""

"""Running a scenario: prepare the deterministic inputs once, replicate the simulation on named
random streams (serially, in processes or on Dask), and summarise with confidence intervals."""

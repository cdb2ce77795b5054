"""Care need: the ``need:`` section, prevalence of the four care levels by age and sex, the
continuous-time Markov chain of level changes and deaths, and the demand for beds it implies."""

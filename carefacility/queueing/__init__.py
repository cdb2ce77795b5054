"""Queueing theory in closed form: Erlang B / C / A, M/M/inf and M(t)/M/inf, priority queues,
continuous-time Markov chains, and the analytic cross-check printed beside the simulation."""

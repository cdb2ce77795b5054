"""carefacility — elderly-care capacity planning.

Project the elderly population, turn it into care need, and simulate a plan's care beds and
community services against that need.
"""

__version__ = "0.1.0"

"""The shared base every stage stands on: located problems (``file:line:col``), the YAML source
with positions, CSV tables, the scenario-section model base, and named random streams."""

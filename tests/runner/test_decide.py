"""Adding replications until every target is decided: stops when decided or at the cap, and
gives the numbers of a plain run with as many replications."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from click.testing import CliRunner

import carefacility as cf
from carefacility.cli import main
from carefacility.runner.decide import _next_total

TEXTBOOK = Path(__file__).resolve().parents[2] / "scenarios" / "textbook"


def test_next_round_aims_at_the_estimate_but_grows_at_most_fourfold_and_stops_at_the_cap():
    card = pd.DataFrame({"status": ["at_risk", "met", "at_risk"],
                         "replications_to_decide": [30.0, np.nan, 50.0]})
    assert _next_total(card, 20, 400) == 50
    assert _next_total(card, 10, 400) == 40  # 50 wanted, at most 4 × 10
    assert _next_total(card, 20, 45) == 45  # the cap
    card.loc[0, "replications_to_decide"] = np.inf  # the mean on the threshold
    assert _next_total(card, 20, 400) == 80  # aims at the cap, 4 × per round


def test_undecidable_target_stops_at_the_cap_with_a_plain_runs_numbers():
    """Erlang C's share served within 30 days is 0.9509 against a 0.95 target: no affordable
    number of replications decides it, so the run stops at the cap — and equals a plain run
    with that many replications."""
    scenario = cf.load_scenario(TEXTBOOK / "erlang_c.yaml")
    decided = cf.run(scenario, replications=4, seed=9, until_decided=True, max_replications=10)
    assert decided.metadata["replications"] == 10
    assert decided.metadata["until_decided"] is True
    rounds = decided.tables["decide_rounds"]
    assert rounds["replications"].tolist()[0] == 4 and rounds["replications"].iloc[-1] == 10
    assert (rounds["replications"].diff().dropna() > 0).all()
    assert rounds["undecided"].iloc[-1] > 0
    plain = cf.run(scenario, replications=10, seed=9)
    pdt.assert_frame_equal(decided.per_replication, plain.per_replication)
    pdt.assert_frame_equal(decided.kpis, plain.kpis)


def test_the_other_rule_runs_as_after_a_plain_run(tmp_path: Path) -> None:
    """After the last round the other eligibility rule runs min(5, replications run), as after a
    plain run with as many replications, not as many as the first round allowed."""
    text = (TEXTBOOK / "erlang_c.yaml").read_text(encoding="utf-8")
    assert "alternative_rule_replications: 0" in text
    path = tmp_path / "erlang_c.yaml"
    path.write_text(text.replace("alternative_rule_replications: 0",
                                 "alternative_rule_replications: 5"), encoding="utf-8")
    scenario = cf.load_scenario(path)
    decided = cf.run(scenario, replications=4, seed=9, until_decided=True, max_replications=10,
                     executor="serial")
    plain = cf.run(scenario, replications=10, seed=9, executor="serial")
    other = plain.tables["eligibility_alternative"]
    assert other.loc[other["role"] == "alternative", "replications"].max() == 5
    pdt.assert_frame_equal(decided.tables["eligibility_alternative"], other)


def test_clear_target_is_decided_after_few_replications():
    scenario = cf.load_scenario(TEXTBOOK / "erlang_b.yaml")  # blocked 0.027 against ≤ 0.05
    result = cf.run(scenario, replications=3, seed=1, until_decided=True, max_replications=200)
    card = result.scorecard
    assert card["decided"].all() and (card["status"] == "met").all()
    assert result.metadata["replications"] < 200


def test_command_line_until_decided(tmp_path):
    out = tmp_path / "run"
    outcome = CliRunner().invoke(main, ["run", str(TEXTBOOK / "erlang_a.yaml"), "--out", str(out),
                                        "--replications", "3", "--until-decided",
                                        "--max-replications", "100"])
    assert outcome.exit_code == 0, outcome.output
    assert "every target decided" in outcome.output
    assert (out / "decide_rounds.csv").exists()
    card = pd.read_csv(out / "scorecard.csv", encoding="utf-8-sig")
    assert {"decided", "replications", "replications_to_decide"} <= set(card.columns)


def test_until_decided_without_targets_is_refused(tmp_path):
    text = (TEXTBOOK / "priority.yaml").read_text(encoding="utf-8")
    assert "targets:" not in text
    outcome = CliRunner().invoke(main, ["run", str(TEXTBOOK / "priority.yaml"), "--out",
                                        str(tmp_path / "o"), "--until-decided"])
    assert outcome.exit_code == 2
    assert "needs `targets`" in outcome.output


def test_first_round_needs_two_replications():
    scenario = cf.load_scenario(TEXTBOOK / "erlang_b.yaml")
    with pytest.raises(ValueError, match="at least 2 replications"):
        cf.run(scenario, replications=1, until_decided=True)

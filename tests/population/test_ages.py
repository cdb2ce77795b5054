import dataclasses

import numpy as np
import pytest

from carefacility.population import N_AGES, OPEN_AGE, AgeGroups, check_age_groups, parse_age_group

WPP_LABELS = ["0", "1-4", *[f"{a}-{a + 4}" for a in range(5, 100, 5)], "100+"]


def test_axis_constants():
    assert (N_AGES, OPEN_AGE) == (101, 100)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("0", (0, 1)),
        ("1-4", (1, 5)),
        ("5-9", (5, 10)),
        ("85+", (85, None)),
        ("100+", (100, None)),
        (" 15 - 19 ", (15, 20)),
        ("20–24", (20, 25)),
        ("7", (7, 8)),
    ],
)
def test_parse_age_group(label, expected):
    assert parse_age_group(label) == expected


@pytest.mark.parametrize("label", ["", "abc", "5-", "+85", "5-9-14", "-5", "5.5-9"])
def test_parse_age_group_rejects_unparsable(label):
    with pytest.raises(ValueError, match="not understood"):
        parse_age_group(label)


def test_parse_age_group_rejects_reversed_range():
    with pytest.raises(ValueError, match="last age 5 is below first age 9"):
        parse_age_group("9-5")


def test_check_age_groups_accepts_wpp_and_census_labels():
    assert check_age_groups(WPP_LABELS) == []
    assert check_age_groups(["0", "1-4", *[f"{a}-{a + 4}" for a in range(5, 85, 5)], "85+"]) == []
    assert check_age_groups(["0-14", "15-59", "60+"]) == []


def test_check_age_groups_finds_gap():
    problems = check_age_groups(["0-4", "10-14", "15+"])
    assert len(problems) == 1
    assert "gap" in problems[0] and "ages 5-9 missing" in problems[0]


def test_check_age_groups_finds_overlap():
    problems = check_age_groups(["0-4", "3-9", "10+"])
    assert len(problems) == 1
    assert "overlap" in problems[0] and '"3-9"' in problems[0]


def test_check_age_groups_finds_start_open_and_parse_problems():
    problems = check_age_groups(["1-4", "5+", "10-14", "oops"])
    text = " | ".join(problems)
    assert "starts at age 1, not 0" in text
    assert 'open group "5+" is not last' in text
    assert "'oops' is not understood" in text
    assert check_age_groups([]) == ["no age groups given"]


def test_age_groups_from_labels():
    groups = AgeGroups.from_labels(WPP_LABELS)
    assert len(groups) == 22
    assert groups.starts[:3] == (0, 1, 5)
    assert groups.is_open and groups.open_start == 100
    widths = groups.widths
    assert widths[0] == 1 and widths[1] == 4 and widths[2] == 5 and np.isinf(widths[-1])
    assert list(groups.labels) == WPP_LABELS
    with pytest.raises(dataclasses.FrozenInstanceError):
        groups.is_open = False  # type: ignore[misc]


def test_age_groups_closed_and_invalid():
    closed = AgeGroups.from_labels(["0-4", "5-9"])
    assert not closed.is_open and closed.open_start is None
    with pytest.raises(ValueError, match=r"gap.*overlap|overlap.*gap"):
        AgeGroups.from_labels(["0-4", "6-9", "8+"])
    with pytest.raises(ValueError, match="starts at age 5"):
        AgeGroups(starts=(5,), ends=(None,), is_open=True)

import pytest

from carefacility.population import read_reference_csv, reference_sources


def test_packaged_tables_read_without_comment_lines():
    mx = read_reference_csv("china_wpp2024_mx5_all_periods.csv")
    assert list(mx.columns) == ["period", "sex", "age_start", "nMx"]
    assert len(mx) == 18 * 2 * 22
    assert set(mx["sex"]) == {"male", "female"}
    e0 = read_reference_csv("china_wpp2024_e0.csv")
    assert list(e0.columns) == ["year", "e0_male", "e0_female"]
    assert e0["year"].min() == 2010 and (e0["e0_female"] > e0["e0_male"]).all()


def test_sources_are_kept():
    for name in ("china_wpp2024_mx5_all_periods.csv", "china_wpp2024_e0.csv"):
        sources = reference_sources(name)
        assert sources and "wpp2024" in sources[0]


def test_unknown_table_lists_the_available_ones():
    with pytest.raises(FileNotFoundError, match=r"available: .*china_wpp2024_e0\.csv"):
        read_reference_csv("nope.csv")
    with pytest.raises(ValueError, match="CSV file name"):
        read_reference_csv("../pyproject.toml")

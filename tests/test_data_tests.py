"""The warehouse views are SQL files in queries/warehouse/, and the build's output checks are declared data tests
beside them (tests.toml: unique, not_null, relationships, accepted_values), run after the views: a failing one fails
the build with one message naming the table, the column and the test, and exit 1."""
from __future__ import annotations

import re
import subprocess
import sys

import duckdb
import pytest

from geo.config import REPO_ROOT
from geo.pipeline.data_tests import DataTest, TESTS_PATH, load_tests, run_data_tests
from geo.pipeline.stages import STAGES, VIEWS_DIR, BuildCheckError
from tests.conftest import code_copy


@pytest.fixture()
def synthetic():
    """A small synthetic database, made here: two districts and three wards, one of each fault on request."""
    connection = duckdb.connect()
    connection.execute("create table synthetic_districts as select * from (values ('D1'), ('D2')) as t(district_code)")
    connection.execute("""create table synthetic_wards as select * from (values
        ('W1', 'D1', 'lsoa'), ('W2', 'D2', 'ward'), ('W3', 'D2', 'ward')) as t(ward_code, district_code, level)""")
    yield connection
    connection.close()


def _tests(text: str, tmp_path) -> list[DataTest]:
    path = tmp_path / "tests.toml"
    path.write_text(text, encoding="utf-8")
    return load_tests(path)


DECLARED = """
[synthetic_wards]
ward_code = ["unique", "not_null"]
district_code = [{ relationships = "synthetic_districts.district_code" }]
level = [{ accepted_values = ["lsoa", "ward"] }]
"""


def test_the_four_kinds_pass_on_good_synthetic_data(synthetic, tmp_path):
    assert run_data_tests(synthetic, _tests(DECLARED, tmp_path)) == 4


@pytest.mark.parametrize("fault, expected", [
    ("update synthetic_wards set ward_code = 'W1' where ward_code = 'W2'",
     "table synthetic_wards, column ward_code: unique: 1 values appear more than once, e.g. 'W1'"),
    ("update synthetic_wards set ward_code = null where ward_code = 'W3'",
     "table synthetic_wards, column ward_code: not_null: 1 rows are null"),
    ("update synthetic_wards set district_code = 'D9' where ward_code = 'W3'",
     "table synthetic_wards, column district_code: relationships to synthetic_districts.district_code: 1 values are "
     "not in synthetic_districts.district_code, e.g. 'D9'"),
    ("update synthetic_wards set level = 'county' where ward_code = 'W1'",
     "table synthetic_wards, column level: accepted_values ['lsoa', 'ward']: 1 values are not accepted, e.g. 'county'"),
])
def test_each_kind_fails_with_one_message_naming_table_column_and_test(synthetic, tmp_path, fault, expected):
    synthetic.execute(fault)
    with pytest.raises(BuildCheckError) as failure:
        run_data_tests(synthetic, _tests(DECLARED, tmp_path))
    assert str(failure.value) == f"data test failed: {expected}"


def test_two_failures_name_the_first_and_count_the_rest(synthetic, tmp_path):
    synthetic.execute("update synthetic_wards set ward_code = 'W1', level = 'county'")
    with pytest.raises(BuildCheckError, match=r"column ward_code: unique.*\(and 1 more failing data test\)$"):
        run_data_tests(synthetic, _tests(DECLARED, tmp_path))


@pytest.mark.parametrize("declaration, phrase", [
    ('[synthetic_wards]\nward_code = ["distinct"]', "'distinct' is not a test"),
    ('[synthetic_wards]\nward_code = [{ relationships = 3 }]', "is not a test"),
    ('[synthetic_wards]\nward_code = [{ accepted_values = "W1" }]', "is not a test"),
    ('[synthetic_wards\n', "cannot be read"),
])
def test_a_malformed_declaration_is_a_build_failure(tmp_path, declaration, phrase):
    with pytest.raises(BuildCheckError, match=re.escape(phrase)):
        _tests(declaration, tmp_path)


def test_a_test_on_a_missing_column_fails_naming_it(synthetic, tmp_path):
    with pytest.raises(BuildCheckError, match="column ward_name: not_null: the database has no column 'ward_name'"):
        run_data_tests(synthetic, _tests('[synthetic_wards]\nward_name = ["not_null"]', tmp_path))


def test_the_declared_tests_hold_on_the_real_database(built_database):
    tests = load_tests()
    declared = {(test.table, test.column, test.kind, test.argument) for test in tests}
    # the output checks that were code before: unique keys, LSOAs in wards and districts, places in wards
    for view, key in (("districts", "district_code"), ("wards", "ward_code"), ("lsoas", "lsoa_code"),
                      ("postcodes", "postcode")):
        assert (view, key, "unique", None) in declared
    assert ("lsoas", "ward_code", "relationships", "wards.ward_code") in declared
    assert ("lsoas", "district_code", "relationships", "districts.district_code") in declared
    assert {("places", "ward_code", "not_null", None), ("places", "ward_code", "relationships", "wards.ward_code")} <= declared
    connection = duckdb.connect(str(built_database), read_only=True)
    try:
        assert run_data_tests(connection, tests) == len(tests) >= 50
    finally:
        connection.close()


def test_the_contract_views_are_the_sql_files_in_queries_warehouse(built_database):
    files = {path.stem: path.read_text(encoding="utf-8") for path in VIEWS_DIR.glob("*.sql")}
    assert set(files) == {"districts", "wards", "lsoas", "indicators", "areas", "postcodes"}
    for name, text in files.items():
        header = [line for line in text.splitlines() if line.startswith("--")]
        assert [re.match(r"-- (\w+)", line).group(1) for line in header if re.match(r"-- \w+:", line)][:2] == \
            ["Question", "Parameters"], name
        assert any(line.startswith("-- Output:") for line in header) and any(line.startswith("-- Grain:") for line in header)
        assert f"create view {name} as" in text
    connection = duckdb.connect(str(built_database), read_only=True)
    try:
        views = {row[0] for row in connection.execute(
            "select table_name from information_schema.tables where table_type = 'VIEW'").fetchall()}
    finally:
        connection.close()
    assert views == set(files)
    assert [stage.run.__name__ for stage in STAGES] == ["boundaries", "lookups", "indicator_values", "transport",
                                                        "gap_index", "reference_tables", "views"]




@pytest.mark.timeout(1800)
def test_a_failing_data_test_fails_the_build_with_one_message_and_exit_1(tmp_path, mirror):
    """A scratch copy of the code whose tests.toml no longer accepts Kent's county rows: the real build passes every
    input check and every stage, then fails its data test, says which in one line, and serves nothing."""
    code = code_copy(tmp_path / "code")
    tests = code / TESTS_PATH.relative_to(REPO_ROOT)
    text = tests.read_text(encoding="utf-8")
    narrowed = text.replace('level = ["not_null", { accepted_values = ["lsoa", "ward", "district", "county"] }]',
                            'level = ["not_null", { accepted_values = ["lsoa", "ward", "district"] }]')
    assert narrowed != text
    tests.write_text(narrowed, encoding="utf-8")
    database = tmp_path / "kent.duckdb"
    result = subprocess.run([sys.executable, "-m", "geo", "build", "--data-dir", str(mirror), "--database", str(database),
                             "--embed-dir", str(tmp_path / "embed")], cwd=code, capture_output=True, text=True, timeout=1500)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    failure = [line for line in result.stderr.splitlines() if line.startswith("build failed")]
    assert len(failure) == 1, result.stderr[-2000:]
    assert re.fullmatch(r"build failed: data test failed: table indicator_values, column level: accepted_values "
                        r"\['lsoa', 'ward', 'district'\]: [\d,]+ values are not accepted, e.g. 'county'", failure[0])
    assert "views: the database contract" in result.stderr  # every stage ran first
    assert not database.exists() and not (tmp_path / "embed").exists()
    assert not list(tmp_path.glob("*.building*"))

import pyarrow.csv as pacsv
import pytest

from sagewatch.demo_data import churn_table, drifted_churn_table


@pytest.fixture(scope="session")
def churn_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("churn")
    (root / "baseline").mkdir()
    (root / "drifted").mkdir()
    (root / "same").mkdir()
    pacsv.write_csv(churn_table(6000, seed=1), root / "baseline" / "data.csv")
    pacsv.write_csv(drifted_churn_table(3000, seed=2), root / "drifted" / "data.csv")
    pacsv.write_csv(churn_table(3000, seed=3), root / "same" / "data.csv")
    return root

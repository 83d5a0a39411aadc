import pytest

from engine.casework import workflows
from persistence import db
from persistence.store import SqlUnitOfWork
from tests.scenario import Scenario


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'complaints.sqlite3'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def sql_engine(database_url):
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def uow(sql_engine):
    return SqlUnitOfWork(sql_engine)


@pytest.fixture(params=["warm", "cold"])
def scenario(request, uow, clock, policy):
    workflows._live.clear()
    return Scenario(uow, clock, policy, cold=request.param == "cold")

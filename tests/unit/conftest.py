import pytest

from persistence.memory import MemoryDatabase, MemoryUnitOfWork
from tests.scenario import Scenario


@pytest.fixture
def uow():
    return MemoryUnitOfWork(MemoryDatabase())


@pytest.fixture(params=["warm", "cold"])
def scenario(request, uow, clock, policy):
    """The bundled process on the memory store; "cold" restores every case from its state each step."""
    return Scenario(uow, clock, policy, cold=request.param == "cold")

"""The run's arrow allocator: malloc (returned to the OS between stages) unless the user chose a pool."""

import pyarrow as pa
import pytest

from cdisckit.memory import use_system_allocator


@pytest.fixture
def restore_pool():
    before = pa.default_memory_pool()
    yield
    pa.set_memory_pool(before)


def test_system_allocator_unless_the_user_chose_a_pool(monkeypatch, restore_pool):
    try:
        pa.set_memory_pool(pa.mimalloc_memory_pool())
    except NotImplementedError:
        pytest.skip("this pyarrow build has no mimalloc pool")
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
    use_system_allocator()
    assert pa.default_memory_pool().backend_name == "mimalloc"  # the user's choice is kept
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL")
    use_system_allocator()
    assert pa.default_memory_pool().backend_name == "system"

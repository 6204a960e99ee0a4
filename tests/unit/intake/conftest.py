from tests.unit.intake.fake_queries import store  # noqa: F401 - the in-memory queries fixture

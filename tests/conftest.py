"""Shared test settings: hypothesis profiles (deterministic in CI)."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")


import sys  # noqa: E402

import pytest  # noqa: E402

RECHECKED = {"count": 0}


@pytest.fixture(scope="session", autouse=True)
def every_certificate_rechecks():
    """Every verdict the suite produces with a certificate is re-checked through `proofs` alone.

    The dispatcher is wrapped wherever it was imported; a certificate that does not re-check
    fails the test that produced it.
    """
    import reasoning.answers._equivalence  # noqa: F401  (so its binding of `decide` is wrapped too)
    import reasoning.engine._task  # noqa: F401
    import solvers.dispatch
    from proofs.check import check_certificate
    from proofs.verdict import Status

    original = solvers.dispatch.decide

    def decide_and_recheck(formula, **kwargs):
        verdict = original(formula, **kwargs)
        if verdict.certificate is not None and verdict.status in (Status.PROVED, Status.REFUTED):
            report = check_certificate(verdict.certificate, use_cvc5=False)
            assert report.ok, f"certificate of {verdict.claim!r} does not re-check: {report.message}"
            RECHECKED["count"] += 1
        return verdict

    patched = [m for m in list(sys.modules.values()) if getattr(m, "decide", None) is original]
    for module in patched:
        module.decide = decide_and_recheck
    yield
    for module in patched:
        module.decide = original


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"certificates re-checked through proofs.check: {RECHECKED['count']}")


def pytest_addoption(parser):
    group = parser.getgroup("z3 history")
    group.addoption(
        "--z3-perturb",
        type=int,
        default=None,
        metavar="SEED",
        help="before every test, make terms and solve random problems in every Z3 context the product "
        "reuses (tests/z3_history.py): finds results that depend on the process's Z3 history",
    )
    group.addoption(
        "--z3-perturb-fresh", action="store_true", help="with --z3-perturb: also perturb every new context"
    )


@pytest.fixture(scope="session")
def _z3_perturber(request):
    seed = request.config.getoption("--z3-perturb")
    if seed is None:
        yield None
        return
    from tests.z3_history import Perturber

    perturber = Perturber(seed, fresh=request.config.getoption("--z3-perturb-fresh"))
    yield perturber
    perturber.uninstall()


@pytest.fixture(autouse=True)
def _z3_history(request, _z3_perturber):
    """With --z3-perturb, every test starts after a seeded random Z3 history."""
    if _z3_perturber is not None:
        _z3_perturber.before(request.node.nodeid)


@pytest.fixture
def z3_perturbed(request):
    """For one test: a `tests.z3_history.Perturber` (seeded by the test id) already applied once;
    call `.before(label)` to give the reused Z3 contexts another random history."""
    from tests.z3_history import Perturber

    perturber = Perturber(sum(map(ord, request.node.nodeid)))
    perturber.before(request.node.nodeid)
    yield perturber
    perturber.uninstall()

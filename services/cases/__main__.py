"""`python -m services.cases` (make run, tracs up, the image, the manifests).

rigour's name tables are built before the service imports anything else: building them takes ~350 MiB for a
moment and keeps ~160 MiB. On top of the service's ~130 MiB of modules the process peaked at ~530 MiB; built
first it peaked at ~440 MiB, and what the build freed goes back to the system at once (`shared.memory`; issue 32,
docs/performance.md, session 12). The service's own warm-up then finds them built.
"""

from shared import memory, names

memory.then_release(names.warm_up)

from services.cases.app import main  # noqa: E402  (after the warm-up, on purpose)

main()

"""The programs' membership hooks and checklist step come from create_app, exactly once."""
from __future__ import annotations

from orgwell import create_app
from orgwell.orgs import events
from orgwell.orgs import services as org_services
from orgwell.programs import hooks


def test_create_app_registers_the_program_hooks_once_however_many_apps(app, tmp_path):
    try:
        # Forget them: importing the programs package must not bring them back.
        events.MEMBERSHIP_HOOKS.remove(hooks.on_membership_event)
        org_services.CHECKLIST_STEPS.remove(hooks.program_chosen)
        import orgwell.programs.cohort_views  # noqa: F401
        import orgwell.programs.views  # noqa: F401

        assert hooks.on_membership_event not in events.MEMBERSHIP_HOOKS
        for n in range(3):
            create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/app{n}.sqlite"})
        assert events.MEMBERSHIP_HOOKS.count(hooks.on_membership_event) == 1
        assert org_services.CHECKLIST_STEPS.count(hooks.program_chosen) == 1
    finally:
        hooks.register_program_hooks()

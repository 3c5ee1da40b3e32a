"""Data rights: erasing a person, exporting an organisation, a member's own data, deletion.

Every domain contributes through orgwell/privacy/registry.py; the policies are written where
they are carried out: erasure.py (erasing a person, also after ERASE_LEAVERS_AFTER_DAYS),
export.py (what the exports hold and leave out), deletion.py (deleting an organisation).
"""

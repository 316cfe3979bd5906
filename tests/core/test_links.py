"""The links registry (app/core/links.py) against the database's foreign keys: every link from
one feature's table to another's is declared, with what a delete of the parent does, so none
surfaces as a confusing 409 from the database."""

import app.main  # noqa: F401  (every feature declares its links as it is imported)
from app.core import links
from app.models import Base

# A workspace's deletion takes every record with it (ON DELETE CASCADE): nothing to declare.
WORKSPACES = "workspaces"


def _feature(table_name: str) -> str:
    table = Base.metadata.tables[table_name]
    mapper = next(m for m in Base.registry.mappers if m.local_table is table)
    return mapper.class_.__module__.split(".")[1]


def _cross_feature_foreign_keys() -> set[tuple[str, str, str]]:
    """(child table, parent table, the link's column) for every foreign key between features."""
    found = set()
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_key_constraints:
            parent = fk.referred_table.name
            if parent == WORKSPACES or _feature(table.name) == _feature(parent):
                continue
            (column,) = [c.name for c in fk.columns if c.name != "workspace_id"][-1:]
            found.add((table.name, parent, column))
    return found


def test_every_link_between_features_is_declared():
    declared = {(link.child.table.name, link.parent, link.column) for link in links.every()}
    missing = _cross_feature_foreign_keys() - declared
    assert not missing, f"declare these links next to the child's repository: {missing}"


def test_every_declared_link_names_a_real_parent_and_column():
    tables = Base.metadata.tables
    for link in links.every():
        assert link.parent in tables, link
        assert link.column in link.child.table.c, link


def test_the_contacts_history_is_what_the_timeline_shows():
    history = {link.kind for link in links.of("contacts") if link.history_at}
    assert history == {"interaction", "feedback", "task", "order", "deal_stage_change"}
    owned = {link.kind for link in links.of("contacts") if link.on_delete == links.OnDelete.cascade}
    assert owned == {"interaction", "feedback", "task", "order"}

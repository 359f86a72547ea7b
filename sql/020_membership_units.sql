-- A resident's unit in a property, and since when they live there: a unit's
-- documents are seen only by its members whose tenancy began before the
-- document was shared (plugin documents), so a new tenant never sees the
-- previous one's papers. Microseconds, because a manager may set a unit and
-- share a paper within the same second, and the order decides. A unit that is
-- deleted leaves its residents without one.
ALTER TABLE memberships
  ADD COLUMN unit_id BIGINT UNSIGNED NULL,
  ADD COLUMN unit_since DATETIME(6) NULL,
  ADD KEY memberships_unit (unit_id),
  ADD CONSTRAINT memberships_unit_fk FOREIGN KEY (unit_id) REFERENCES units (id) ON DELETE SET NULL;

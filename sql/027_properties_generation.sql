-- The organisation's content generation (sql/015) counts every change of its
-- properties too, so that a worker may keep a manager's property list until
-- the next change (core/features/list_cache.c): a property written, its
-- count of residents moved by a membership (the triggers of sql/024 update
-- the property, which fires these), a manager's name changed or a manager
-- deleted (the list names each property's responsible employee).
--
-- Triggers, not calls in the code, so that no writer can forget one: the
-- routes, the import, portalctl, an erasure, SQL by hand or in tests. The
-- bump is in the writing statement's transaction, so a reader never sees the
-- new rows under the old generation once the change is acknowledged.
--
-- As with sql/024, a statement that writes properties, memberships or users
-- must not read orgs (error 1442): INSERT ... SELECT ... JOIN orgs fails.
--
-- Locks: a new row's foreign key check holds its organisation shared; two
-- transactions that then both bumped it would deadlock. So an insert bumps
-- BEFORE its row (the exclusive lock first, the check's shared one is then
-- the transaction's own), and a trigger that has nothing to change runs no
-- statement on orgs at all (IF), not even one that matches no row, which
-- would still lock it.
CREATE TRIGGER properties_generation_insert BEFORE INSERT ON properties FOR EACH ROW
  UPDATE orgs SET content_generation = content_generation + 1 WHERE id = NEW.org_id;

-- (a new membership changes the list only when active, through the property's
-- count; the bump comes first for the lock's sake, as above)
CREATE TRIGGER memberships_generation_insert BEFORE INSERT ON memberships FOR EACH ROW
  UPDATE orgs SET content_generation = content_generation + 1 WHERE id = NEW.org_id;

CREATE TRIGGER properties_generation_update AFTER UPDATE ON properties FOR EACH ROW
  UPDATE orgs SET content_generation = content_generation + 1
  WHERE id IN (NEW.org_id, OLD.org_id);

CREATE TRIGGER properties_generation_delete AFTER DELETE ON properties FOR EACH ROW
  UPDATE orgs SET content_generation = content_generation + 1 WHERE id = OLD.org_id;

CREATE TRIGGER users_generation_update AFTER UPDATE ON users FOR EACH ROW
  IF 'manager' IN (NEW.role, OLD.role)
     AND NOT (NEW.name <=> OLD.name AND NEW.role <=> OLD.role AND NEW.org_id <=> OLD.org_id) THEN
    UPDATE orgs SET content_generation = content_generation + 1
    WHERE id IN (NEW.org_id, OLD.org_id);
  END IF;

-- A deleted manager leaves the properties they were responsible for without
-- one (ON DELETE SET NULL, for which MariaDB fires no trigger).
CREATE TRIGGER users_generation_delete BEFORE DELETE ON users FOR EACH ROW
  IF OLD.role = 'manager' THEN
    UPDATE orgs SET content_generation = content_generation + 1 WHERE id = OLD.org_id;
  END IF;

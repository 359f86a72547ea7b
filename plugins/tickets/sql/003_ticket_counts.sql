-- The counts per status of GET /tickets (API.md: for the same filters without
-- the status), kept per organisation and per property, so that a manager's
-- list without further filters, or with only the property's, reads a few rows
-- instead of counting every ticket of the organisation (list_query.c). The
-- other filters count through the indexes below, over the tickets they keep.
--
-- Triggers keep them, so that every write of tickets counts, whoever makes it
-- (the plugin, SQL by hand or in tests). MariaDB fires no trigger for what a
-- foreign key does: a deleted property deletes its tickets itself before it
-- goes (so that theirs fire, and the organisation's counts lose them); a
-- deleted organisation takes its tickets and both counts along. Signed, so
-- that a count could never make a write fail.
--
-- Each count is spread over eight rows (slot: the ticket's id modulo 8) that
-- a read adds up: tickets written at the same time in one organisation (on
-- two hosts of a Galera cluster, or a bulk change beside a single one) then
-- rarely change the same row, which would make one of them fail (a
-- certification conflict or a deadlock) instead of wait.
--
-- A trigger may not change a table that its statement reads: a statement that
-- writes tickets must not read these counts, and one that deletes properties
-- must not read tickets (error 1442).
CREATE TABLE ticket_org_counts (
  org_id BIGINT UNSIGNED NOT NULL,
  status ENUM('open', 'in_progress', 'waiting', 'resolved', 'closed') NOT NULL,
  slot TINYINT UNSIGNED NOT NULL,
  n INT NOT NULL,
  PRIMARY KEY (org_id, status, slot),
  CONSTRAINT ticket_org_counts_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE ticket_property_counts (
  property_id BIGINT UNSIGNED NOT NULL,
  status ENUM('open', 'in_progress', 'waiting', 'resolved', 'closed') NOT NULL,
  slot TINYINT UNSIGNED NOT NULL,
  org_id BIGINT UNSIGNED NOT NULL,
  n INT NOT NULL,
  PRIMARY KEY (property_id, status, slot),
  CONSTRAINT ticket_property_counts_property_fk FOREIGN KEY (property_id) REFERENCES properties (id) ON DELETE CASCADE,
  CONSTRAINT ticket_property_counts_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO ticket_org_counts (org_id, status, slot, n)
SELECT org_id, status, id % 8, COUNT(*) FROM tickets GROUP BY org_id, status, id % 8;

INSERT INTO ticket_property_counts (property_id, status, slot, org_id, n)
SELECT property_id, status, id % 8, MIN(org_id), COUNT(*) FROM tickets
GROUP BY property_id, status, id % 8;

CREATE TRIGGER tickets_org_count_insert AFTER INSERT ON tickets FOR EACH ROW
  INSERT INTO ticket_org_counts (org_id, status, slot, n)
  VALUES (NEW.org_id, NEW.status, NEW.id % 8, 1)
  ON DUPLICATE KEY UPDATE n = n + 1;

CREATE TRIGGER tickets_property_count_insert AFTER INSERT ON tickets FOR EACH ROW
  INSERT INTO ticket_property_counts (property_id, status, slot, org_id, n)
  VALUES (NEW.property_id, NEW.status, NEW.id % 8, NEW.org_id, 1)
  ON DUPLICATE KEY UPDATE n = n + 1;

-- An update moves one ticket from its old row to its new one (its status, or
-- by SQL its property); the new row may not be there yet.
CREATE TRIGGER tickets_org_count_update AFTER UPDATE ON tickets FOR EACH ROW
  INSERT INTO ticket_org_counts (org_id, status, slot, n)
  SELECT d.org_id, d.status, d.slot, d.n
  FROM (SELECT NEW.org_id AS org_id, NEW.status AS status, NEW.id % 8 AS slot, 1 AS n
        UNION ALL SELECT OLD.org_id, OLD.status, OLD.id % 8, -1) d
  WHERE NOT (NEW.org_id <=> OLD.org_id AND NEW.status <=> OLD.status)
  ON DUPLICATE KEY UPDATE n = ticket_org_counts.n + VALUES(n);

CREATE TRIGGER tickets_property_count_update AFTER UPDATE ON tickets FOR EACH ROW
  INSERT INTO ticket_property_counts (property_id, status, slot, org_id, n)
  SELECT d.property_id, d.status, d.slot, d.org_id, d.n
  FROM (SELECT NEW.property_id AS property_id, NEW.status AS status, NEW.id % 8 AS slot,
               NEW.org_id AS org_id, 1 AS n
        UNION ALL SELECT OLD.property_id, OLD.status, OLD.id % 8, OLD.org_id, -1) d
  WHERE NOT (NEW.property_id <=> OLD.property_id AND NEW.status <=> OLD.status)
  ON DUPLICATE KEY UPDATE n = ticket_property_counts.n + VALUES(n);

CREATE TRIGGER tickets_org_count_delete AFTER DELETE ON tickets FOR EACH ROW
  UPDATE ticket_org_counts SET n = n - 1
  WHERE org_id = OLD.org_id AND status = OLD.status AND slot = OLD.id % 8;

CREATE TRIGGER tickets_property_count_delete AFTER DELETE ON tickets FOR EACH ROW
  UPDATE ticket_property_counts SET n = n - 1
  WHERE property_id = OLD.property_id AND status = OLD.status AND slot = OLD.id % 8;

CREATE TRIGGER properties_tickets_delete BEFORE DELETE ON properties FOR EACH ROW
  DELETE FROM tickets WHERE property_id = OLD.id;

-- The filters the counts above do not cover count the tickets they keep
-- through an index of their own, with the status in it (no row is read). A
-- page of one status by last activity, and the property's page of newest
-- tickets, read their rows in the list's order from the cursor on.
ALTER TABLE tickets
  DROP KEY tickets_assignee,
  ADD KEY tickets_assignee (assignee_id, org_id, status),
  ADD KEY tickets_category (org_id, category, status),
  ADD KEY tickets_due (org_id, due_on, status),
  ADD KEY tickets_status_activity (org_id, status, updated_at, id),
  ADD KEY tickets_property_newest (property_id, id);

-- The second version of the example's tables: items belong to an
-- organisation, as every row of a plugin must, and are shown to the residents
-- of some (or all) of its properties. A migration changes what an earlier one
-- made; it never edits that file (deployments have applied it already).

-- The first version's sample row belonged to no organisation.
DELETE FROM example_items;
DROP TABLE example_daily;

ALTER TABLE example_items
  ADD COLUMN org_id BIGINT UNSIGNED NOT NULL AFTER id,
  ADD COLUMN note TEXT NOT NULL DEFAULT '' AFTER name,
  ADD COLUMN priority ENUM('low', 'normal', 'high') NOT NULL DEFAULT 'normal' AFTER note,
  ADD COLUMN due_on DATE NULL AFTER priority,
  ADD COLUMN all_properties TINYINT(1) NOT NULL DEFAULT 0 AFTER due_on,
  ADD COLUMN done_at DATETIME NULL AFTER all_properties,
  ADD KEY example_items_org (org_id, id),
  ADD CONSTRAINT example_items_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE;

-- The properties an item is for, unless it is for all of them.
CREATE TABLE example_item_properties (
  item_id BIGINT UNSIGNED NOT NULL,
  property_id BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (item_id, property_id),
  KEY example_item_properties_property (property_id),
  CONSTRAINT example_item_properties_item_fk FOREIGN KEY (item_id) REFERENCES example_items (id) ON DELETE CASCADE,
  CONSTRAINT example_item_properties_property_fk FOREIGN KEY (property_id) REFERENCES properties (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Kept by the event listener: items created per organisation and day.
CREATE TABLE example_daily (
  org_id BIGINT UNSIGNED NOT NULL,
  day DATE NOT NULL,
  items INT UNSIGNED NOT NULL,
  PRIMARY KEY (org_id, day),
  CONSTRAINT example_daily_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

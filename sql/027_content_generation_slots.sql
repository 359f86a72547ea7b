-- The content generation (015) moves off the organisation's row, into eight
-- rows of its own (slot) that a read adds up and a change raises one of, at
-- random. On the organisation's row every content write of a Galera cluster
-- met every other host's: the rows the write adds hold that row by their
-- foreign keys (a shared lock, a reference in the write set), which another
-- host's raise of the generation aborted, and the hosts' raises aborted each
-- other; the writes were refused (503) and raises lost. Nothing refers to
-- these rows, and two raises at one instant rarely meet in one of them.
--
-- orgs.content_generation stays in the sum: a host not yet upgraded (hosts
-- are upgraded one at a time) still raises it, and the upgraded hosts see
-- that too. Both only grow, so the sum never repeats a generation. The other
-- way round, a host not yet upgraded does not see the upgraded hosts' raises:
-- until it is upgraded too, its cached homes may be up to a minute old.
CREATE TABLE content_generations (
  org_id BIGINT UNSIGNED NOT NULL,
  slot TINYINT UNSIGNED NOT NULL,
  generation BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (org_id, slot),
  CONSTRAINT content_generations_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The workers' caches of the organisations' lists of categories are kept by
-- a generation of their own on the organisation's row, which the session's
-- query reads anyway: a change of a list holds that row already (two admins
-- change a list one after the other), and the content generation is read
-- only where the residents' home is shown (its sum costs MariaDB a table).
ALTER TABLE orgs ADD COLUMN categories_generation BIGINT UNSIGNED NOT NULL DEFAULT 0;

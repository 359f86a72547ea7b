-- An admin's invitation of an address that has an account already, of another
-- organisation (or of a resident there). No account can be made for it (an
-- email signs in to exactly one), but the inviting admin must not learn that:
-- the answer, the list of employees and the outbox show it as an invitation
-- nobody has accepted yet, and the address gets a mail that says it has an
-- account. The id is taken from the users' sequence, so that it never names
-- a user and the employees' list keeps one order of ids.
CREATE TABLE employee_invites_elsewhere (
  id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  org_id BIGINT UNSIGNED NOT NULL,
  email VARCHAR(254) NOT NULL,
  name VARCHAR(200) NOT NULL,
  admin TINYINT(1) NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL,
  UNIQUE KEY employee_invites_elsewhere_email (org_id, email),
  CONSTRAINT employee_invites_elsewhere_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

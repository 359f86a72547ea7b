-- Tickets (Vorgänge, API.md "Tickets"): what residents report and managers
-- handle. number counts per organisation from 1 in the order of arrival and is
-- never reused: ticket_numbers holds the last one given, raised in the
-- transaction that inserts the ticket (its row lock orders concurrent reports).
CREATE TABLE ticket_numbers (
  org_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  last_number BIGINT UNSIGNED NOT NULL,
  CONSTRAINT ticket_numbers_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- reporter_id is the resident who reported it; a manager recording a phone
-- call leaves it NULL and names the caller in reporter_name. A resident whose
-- account is erased leaves reporter_id NULL and reporter_name NULL (a former
-- resident). resolved_at starts the wait for the reporter's answer (the job
-- tickets-autoclose closes it after tickets.auto_close_days).
CREATE TABLE tickets (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  org_id BIGINT UNSIGNED NOT NULL,
  number BIGINT UNSIGNED NOT NULL,
  property_id BIGINT UNSIGNED NOT NULL,
  unit_id BIGINT UNSIGNED NULL,
  reporter_id BIGINT UNSIGNED NULL,
  reporter_name VARCHAR(200) NULL,
  created_by BIGINT UNSIGNED NULL,
  title VARCHAR(200) NOT NULL,
  description TEXT NOT NULL,
  category VARCHAR(50) NOT NULL,
  status ENUM('open', 'in_progress', 'waiting', 'resolved', 'closed') NOT NULL DEFAULT 'open',
  assignee_id BIGINT UNSIGNED NULL,
  shared TINYINT(1) NOT NULL DEFAULT 0,
  due_on DATE NULL,
  contact_consent TINYINT(1) NOT NULL DEFAULT 0,
  access_note VARCHAR(500) NOT NULL DEFAULT '',
  merged_into BIGINT UNSIGNED NULL,
  resolved_at DATETIME NULL,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  UNIQUE KEY tickets_number (org_id, number),
  KEY tickets_org (org_id, id),
  KEY tickets_status (org_id, status, id),
  KEY tickets_activity (org_id, updated_at, id),
  KEY tickets_property (property_id, shared, status),
  KEY tickets_reporter (reporter_id, created_at),
  KEY tickets_assignee (assignee_id),
  KEY tickets_resolved (status, resolved_at),
  CONSTRAINT tickets_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE,
  CONSTRAINT tickets_property_fk FOREIGN KEY (property_id) REFERENCES properties (id) ON DELETE CASCADE,
  CONSTRAINT tickets_unit_fk FOREIGN KEY (unit_id) REFERENCES units (id) ON DELETE SET NULL,
  CONSTRAINT tickets_reporter_fk FOREIGN KEY (reporter_id) REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT tickets_creator_fk FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT tickets_assignee_fk FOREIGN KEY (assignee_id) REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT tickets_merged_fk FOREIGN KEY (merged_into) REFERENCES tickets (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The history of a ticket, oldest first (by id). by_role stays when the user
-- is gone; user_id NULL with by_role NULL is the portal itself (the job that
-- closes an unanswered resolved ticket). A note is a manager's internal
-- comment: residents never see it, and it mails nobody. from_value/to_value:
-- statuses (status, reopened), assignees' names (assigned), ticket numbers
-- (merged).
CREATE TABLE ticket_events (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ticket_id BIGINT UNSIGNED NOT NULL,
  org_id BIGINT UNSIGNED NOT NULL,
  type ENUM('created', 'comment', 'note', 'status', 'assigned', 'reopened', 'merged', 'affected') NOT NULL,
  user_id BIGINT UNSIGNED NULL,
  by_role ENUM('manager', 'resident') NULL,
  body TEXT NULL,
  from_value VARCHAR(200) NULL,
  to_value VARCHAR(200) NULL,
  at DATETIME NOT NULL,
  KEY ticket_events_ticket (ticket_id, id),
  CONSTRAINT ticket_events_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE,
  CONSTRAINT ticket_events_ticket_fk FOREIGN KEY (ticket_id) REFERENCES tickets (id) ON DELETE CASCADE,
  CONSTRAINT ticket_events_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Residents who follow a ticket they did not report: 'affected' pressed "Ich
-- bin auch betroffen" (counted as affected_count), 'merged' reported a
-- duplicate that was merged into it. Followers get its status mails.
CREATE TABLE ticket_followers (
  ticket_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  org_id BIGINT UNSIGNED NOT NULL,
  reason ENUM('affected', 'merged') NOT NULL,
  created_at DATETIME NOT NULL,
  PRIMARY KEY (ticket_id, user_id),
  KEY ticket_followers_user (user_id, ticket_id),
  CONSTRAINT ticket_followers_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE,
  CONSTRAINT ticket_followers_ticket_fk FOREIGN KEY (ticket_id) REFERENCES tickets (id) ON DELETE CASCADE,
  CONSTRAINT ticket_followers_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Photos of a ticket (event_id NULL: sent with the report) or of a comment:
-- stored files (files_dir, named by their SHA-256) already cleaned of their
-- metadata, with a thumbnail; name is display text only, never a path.
CREATE TABLE ticket_attachments (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ticket_id BIGINT UNSIGNED NOT NULL,
  event_id BIGINT UNSIGNED NULL,
  org_id BIGINT UNSIGNED NOT NULL,
  file CHAR(64) NOT NULL,
  thumbnail_file CHAR(64) NOT NULL,
  thumbnail_type VARCHAR(100) NOT NULL,
  name VARCHAR(255) NOT NULL,
  size BIGINT UNSIGNED NOT NULL,
  content_type VARCHAR(100) NOT NULL,
  created_at DATETIME NOT NULL,
  KEY ticket_attachments_ticket (ticket_id, id),
  KEY ticket_attachments_file (file),
  KEY ticket_attachments_thumbnail (thumbnail_file),
  CONSTRAINT ticket_attachments_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE,
  CONSTRAINT ticket_attachments_ticket_fk FOREIGN KEY (ticket_id) REFERENCES tickets (id) ON DELETE CASCADE,
  CONSTRAINT ticket_attachments_event_fk FOREIGN KEY (event_id) REFERENCES ticket_events (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

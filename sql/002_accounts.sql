-- Organisations, their people, sessions, single-use tokens, sign-in throttling
-- and the mail outbox. Secrets (session ids, tokens) are stored only as their
-- SHA-256 hash; passwords only as argon2id hashes.
CREATE TABLE orgs (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  brand_color CHAR(7) NOT NULL DEFAULT '#1f5fa8',
  logo_file CHAR(64) NULL,           -- SHA-256 of the stored logo, NULL for none
  logo_type VARCHAR(20) NULL,        -- image/png or image/jpeg
  locale CHAR(2) NOT NULL DEFAULT 'de',
  created_at DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Managers and residents. An email signs in to exactly one account.
CREATE TABLE users (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  org_id BIGINT UNSIGNED NOT NULL,
  role ENUM('manager', 'resident') NOT NULL,
  email VARCHAR(254) NOT NULL,
  name VARCHAR(200) NOT NULL,
  password_hash VARCHAR(255) NULL,   -- NULL until an invited manager activates
  admin TINYINT(1) NOT NULL DEFAULT 0,
  locale CHAR(2) NULL,               -- NULL: the organisation's
  created_at DATETIME NOT NULL,
  UNIQUE KEY users_email (email),
  KEY users_org (org_id, role),
  CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE sessions (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  token_hash BINARY(32) NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  csrf_token CHAR(43) NOT NULL,
  created_at DATETIME NOT NULL,
  last_seen_at DATETIME NOT NULL,
  UNIQUE KEY sessions_token (token_hash),
  KEY sessions_user (user_id),
  CONSTRAINT sessions_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Activation and password reset links: single-use, expiring, redeemed by POST.
CREATE TABLE account_tokens (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  token_hash BINARY(32) NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  kind ENUM('activation', 'reset') NOT NULL,
  expires_at DATETIME NOT NULL,
  used_at DATETIME NULL,
  created_at DATETIME NOT NULL,
  UNIQUE KEY account_tokens_hash (token_hash),
  CONSTRAINT account_tokens_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Throttled events (failed sign-ins per account 'login_email' and per client
-- address 'login_ip', reset mails 'reset_email', ...), kept here so the limits
-- hold across workers and hosts. key_hash is the SHA-256 of the lower-cased key.
CREATE TABLE throttle_events (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  scope VARCHAR(16) NOT NULL,
  key_hash BINARY(32) NOT NULL,
  at DATETIME(3) NOT NULL,
  KEY throttle_lookup (scope, key_hash, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The transactional outbox: written in the transaction of the change that causes
-- the mail, sent by the jobs worker.
CREATE TABLE outbox (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  org_id BIGINT UNSIGNED NULL,
  to_addr VARCHAR(254) NOT NULL,
  to_name VARCHAR(200) NOT NULL DEFAULT '',
  subject VARCHAR(300) NOT NULL,
  body_text MEDIUMTEXT NOT NULL,
  body_html MEDIUMTEXT NOT NULL,
  kind VARCHAR(40) NOT NULL,
  status ENUM('queued', 'sent', 'failed') NOT NULL DEFAULT 'queued',
  attempts INT UNSIGNED NOT NULL DEFAULT 0,
  last_error VARCHAR(500) NULL,
  message_id VARCHAR(200) NOT NULL,
  next_attempt_at DATETIME NOT NULL,
  created_at DATETIME NOT NULL,
  sent_at DATETIME NULL,
  KEY outbox_due (status, next_attempt_at),
  KEY outbox_org (org_id, status, id),
  CONSTRAINT outbox_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

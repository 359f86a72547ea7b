-- The community board of a property ("Schwarzes Brett", API.md "Community
-- board"). A property without a row in board_settings has the defaults: the
-- board on, first posts not held for approval.
CREATE TABLE board_settings (
  property_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  org_id BIGINT UNSIGNED NOT NULL,
  enabled TINYINT(1) NOT NULL DEFAULT 1,
  approve_first_posts TINYINT(1) NOT NULL DEFAULT 0,
  CONSTRAINT board_settings_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE,
  CONSTRAINT board_settings_property_fk FOREIGN KEY (property_id) REFERENCES properties (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A post. author_id is NULL once the author's account is erased (the post
-- stays, under "ehemalige Bewohnerin / ehemaliger Bewohner"). hidden is set
-- by a manager (hidden_reason: the statement of reasons the author is
-- mailed) or by reports of enough residents (hidden_by_reports: a dismissal
-- shows it again). expires_on is a local calendar day.
CREATE TABLE board_posts (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  org_id BIGINT UNSIGNED NOT NULL,
  property_id BIGINT UNSIGNED NOT NULL,
  author_id BIGINT UNSIGNED NULL,
  kind ENUM('offer', 'request', 'info', 'giveaway', 'lost_found') NOT NULL,
  title VARCHAR(200) NOT NULL,
  body TEXT NOT NULL,
  anonymous TINYINT(1) NOT NULL DEFAULT 0,
  expires_on DATE NULL,
  done TINYINT(1) NOT NULL DEFAULT 0,
  state ENUM('published', 'pending') NOT NULL DEFAULT 'published',
  hidden TINYINT(1) NOT NULL DEFAULT 0,
  hidden_by_reports TINYINT(1) NOT NULL DEFAULT 0,
  hidden_reason VARCHAR(1000) NULL,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  KEY board_posts_property (property_id, id),
  KEY board_posts_author (author_id, created_at),
  CONSTRAINT board_posts_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE,
  CONSTRAINT board_posts_property_fk FOREIGN KEY (property_id) REFERENCES properties (id) ON DELETE CASCADE,
  CONSTRAINT board_posts_author_fk FOREIGN KEY (author_id) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE board_comments (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  post_id BIGINT UNSIGNED NOT NULL,
  org_id BIGINT UNSIGNED NOT NULL,
  author_id BIGINT UNSIGNED NULL,
  body TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  KEY board_comments_post (post_id, id),
  KEY board_comments_author (author_id, created_at),
  CONSTRAINT board_comments_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE,
  CONSTRAINT board_comments_post_fk FOREIGN KEY (post_id) REFERENCES board_posts (id) ON DELETE CASCADE,
  CONSTRAINT board_comments_author_fk FOREIGN KEY (author_id) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Who is told of new comments: the post's author (a row from the start) and
-- whoever follows it. covered_comment_id is the last comment a mail covered
-- (or that was there when they began to follow); mailed_at the last mail,
-- so that the hourly job mails each of them at most once an hour per post.
CREATE TABLE board_follows (
  post_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  org_id BIGINT UNSIGNED NOT NULL,
  covered_comment_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
  mailed_at DATETIME NULL,
  created_at DATETIME NOT NULL,
  PRIMARY KEY (post_id, user_id),
  KEY board_follows_user (user_id),
  CONSTRAINT board_follows_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE,
  CONSTRAINT board_follows_post_fk FOREIGN KEY (post_id) REFERENCES board_posts (id) ON DELETE CASCADE,
  CONSTRAINT board_follows_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Reports of a post. One open report per reader and post (open is 1 while
-- it is open, NULL once a manager decided, so the unique key binds only open
-- ones): a second report of the same reader replaces the first and counts
-- once.
CREATE TABLE board_reports (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  post_id BIGINT UNSIGNED NOT NULL,
  org_id BIGINT UNSIGNED NOT NULL,
  reporter_id BIGINT UNSIGNED NOT NULL,
  reason ENUM('personal_data', 'insult', 'spam', 'other') NOT NULL,
  note VARCHAR(1000) NULL,
  open TINYINT(1) NULL DEFAULT 1,
  created_at DATETIME NOT NULL,
  closed_at DATETIME NULL,
  UNIQUE KEY board_reports_open (post_id, reporter_id, open),
  KEY board_reports_org (org_id, open, id),
  CONSTRAINT board_reports_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE,
  CONSTRAINT board_reports_post_fk FOREIGN KEY (post_id) REFERENCES board_posts (id) ON DELETE CASCADE,
  CONSTRAINT board_reports_reporter_fk FOREIGN KEY (reporter_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

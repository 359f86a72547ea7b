-- A row per stored file name that an upload or a removal wrote: what keeps a
-- removal apart from an upload of the same content on every host. MariaDB's
-- GET_LOCK is one server's only; a write to a row is certified by the whole
-- Galera cluster (portal/files.h, core/http/files.c).
--   uploading   requests storing the file outside a transaction that have not
--               ended yet (each takes itself off at its end; a count older
--               than an hour is a dead host's and counts no more)
--   upload_at   the last such upload began then
--   version     every write adds one, so that two writes always conflict
--   released_at the last removal decided then
CREATE TABLE stored_file_guards (
  name CHAR(64) NOT NULL PRIMARY KEY,
  uploading INT NOT NULL DEFAULT 0,
  upload_at DATETIME(6) NULL,
  version BIGINT NOT NULL DEFAULT 0,
  released_at DATETIME(6) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

/* The layout of a backup folder (portalctl backup and restore). */
#ifndef CTL_BACKUP_H
#define CTL_BACKUP_H

#define BACKUP_DATABASE "database.sql"
#define BACKUP_MANIFEST "MANIFEST"

#endif

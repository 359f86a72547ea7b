/* portalctl restore DIR [--force]: brings a fresh deployment (no table in its
 * database, no stored file) back to a backup of portalctl backup. Every file
 * of the backup is checked against its MANIFEST first, so a damaged backup
 * writes nothing. --force replaces what a deployment holds: its tables are
 * dropped, and its stored files that the backup does not hold are removed.
 * The dump is loaded without its DEFINER clauses (ctl/definer.h), so that the
 * account restoring, whatever its name, owns the triggers it creates. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl/archive.h"
#include "ctl/backup.h"
#include "ctl/ctl.h"
#include "ctl/definer.h"
#include "lib/buf.h"

/* Each line "<sha256>  <path>" of the manifest, path being the database's
 * dump or files/<its own sha256>; calls each(path, hex, arg) until it fails. */
static int manifest_each(const char *dir,
                         int (*each)(const char *dir, const char *path, const char *hex, void *arg),
                         void *arg)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, BACKUP_MANIFEST);
	FILE *f = fopen(path, "r");
	if (!f)
		return ctl_fail("%s is not a backup: %s", dir, strerror(errno));
	char line[256];
	int rc = 0;
	while (!rc && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		const char *name = line + SHA256_HEX_CHARS + 2;
		bool shaped = strlen(line) > SHA256_HEX_CHARS + 2 &&
		              strncmp(line + SHA256_HEX_CHARS, "  ", 2) == 0;
		line[SHA256_HEX_CHARS] = '\0';
		shaped = shaped && archive_stored_name(line) &&
		         (strcmp(name, BACKUP_DATABASE) == 0 ||
		          (strncmp(name, "files/", 6) == 0 && strcmp(name + 6, line) == 0));
		rc = shaped
		         ? each(dir, name, line, arg)
		         : ctl_fail("the backup in %s is damaged: its manifest has a wrong line; "
		                    "nothing was restored",
		                    dir);
	}
	fclose(f);
	return rc;
}

struct tally {
	bool database;
	unsigned files;
};

static int verify_one(const char *dir, const char *path, const char *hex, void *arg)
{
	struct tally *t = arg;
	char full[4400], err[512], got[SHA256_HEX_CHARS + 1];
	snprintf(full, sizeof full, "%s/%s", dir, path);
	if (archive_copy(full, NULL, got, err, sizeof err))
		return ctl_fail("the backup in %s is damaged: %s; nothing was restored", dir, err);
	if (strcmp(got, hex) != 0)
		return ctl_fail(
		    "the backup in %s is damaged: %s does not match its checksum in the "
		    "manifest; nothing was restored",
		    dir, path);
	if (strcmp(path, BACKUP_DATABASE) == 0)
		t->database = true;
	else
		t->files++;
	return 0;
}

static unsigned count_stored(const char *dir)
{
	unsigned n = 0;
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));)
		n += archive_stored_name(e->d_name);
	if (d)
		closedir(d);
	return n;
}

/* Every file the manifest lists is whole, the dump is there, and the backup
 * holds no file the manifest does not list. */
static int verify(const char *dir, struct tally *t)
{
	int rc = manifest_each(dir, verify_one, t);
	if (rc)
		return rc;
	char files[4200];
	snprintf(files, sizeof files, "%s/files", dir);
	if (!t->database || count_stored(files) != t->files)
		return ctl_fail(
		    "the backup in %s is damaged: it does not hold exactly the files its "
		    "manifest lists; nothing was restored",
		    dir);
	return 0;
}

static int drop_tables(struct ctl *c, const struct portal_value *tables)
{
	struct buf sql = {0};
	buf_puts(&sql, "SET FOREIGN_KEY_CHECKS = 0; DROP TABLE IF EXISTS ");
	const char *sep = "";
	pv_foreach(m, tables) {
		buf_printf(&sql, "%s`%s`", sep, pv_get_str(m->value, "name"));
		sep = ", ";
	}
	char err[512];
	const char *argv[] = {"mariadb", "-e", sql.data ? sql.data : "",
	                      config_get(c->cfg, "db_name"), NULL};
	int rc = sql.data ? archive_run_client(c->cfg, argv, -1, err, sizeof err) : -1;
	buf_free(&sql);
	if (rc)
		return rc < 0 ? ctl_fail("%s", err)
		              : ctl_fail("could not drop the tables (exit %d)", rc);
	return 0;
}

/* No table and no stored file, or --force (then the tables go). */
static int check_empty(struct ctl *c, bool force)
{
	struct portal_value *tables;
	int status = db_run(c->db, c->arena,
	                    "SELECT table_name AS name FROM information_schema.tables"
	                    " WHERE table_schema = DATABASE()",
	                    PORTAL_DB_NOARGS, &tables, NULL, NULL);
	if (status)
		return ctl_fail("the database cannot be reached (status %d)", status);
	const char *files_dir = config_get(c->cfg, "files_dir");
	size_t count = tables->u.c.count;
	unsigned files = count_stored(files_dir);
	if (!force && (count || files))
		return ctl_fail(
		    "the deployment is not empty (%zu tables in database %s, %u files in "
		    "%s): restore into a fresh one, or pass --force to replace it",
		    count, config_get(c->cfg, "db_name"), files, files_dir);
	return count ? drop_tables(c, tables) : 0;
}

static int load_database(struct ctl *c, const char *dir)
{
	char path[4200], err[512];
	snprintf(path, sizeof path, "%s/%s", dir, BACKUP_DATABASE);
	int fd;
	pid_t filter;
	if (definer_filter(path, &fd, &filter))
		return ctl_fail("cannot read %s: %s", path, strerror(errno));
	const char *argv[] = {"mariadb", "--batch", config_get(c->cfg, "db_name"), NULL};
	int rc = archive_run_client(c->cfg, argv, fd, err, sizeof err);
	close(fd);
	int status;
	bool read_whole =
	    waitpid(filter, &status, 0) == filter && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (rc)
		return rc < 0 ? ctl_fail("%s", err)
		              : ctl_fail("loading %s failed (mariadb exit %d)", path, rc);
	return read_whole ? 0 : ctl_fail("reading %s failed", path);
}

/* Stored like portald stores: a temporary name, then renamed; owned as the
 * files folder is, so that portald (another user) can read and remove it. */
static int place_file(const char *dir, const char *path, const char *hex, void *arg)
{
	const char *files_dir = arg;
	if (strcmp(path, BACKUP_DATABASE) == 0)
		return 0;
	struct stat folder;
	char from[4400], tmp[4400], to[4400], err[512], got[SHA256_HEX_CHARS + 1];
	snprintf(from, sizeof from, "%s/%s", dir, path);
	snprintf(tmp, sizeof tmp, "%s/.restore-%s", files_dir, hex);
	snprintf(to, sizeof to, "%s/%s", files_dir, hex);
	unlink(tmp);
	if (stat(files_dir, &folder) || archive_copy(from, tmp, got, err, sizeof err))
		return ctl_fail("cannot copy %s into %s", path, files_dir);
	if (chown(tmp, folder.st_uid, folder.st_gid) && errno != EPERM)
		return ctl_fail("cannot give %s to the owner of %s: %s", tmp, files_dir,
		                strerror(errno));
	if (rename(tmp, to))
		return ctl_fail("cannot rename %s: %s", tmp, strerror(errno));
	return 0;
}

/* After --force: the files folder holds the backup's files and no others. */
static int remove_others(const char *dir, const char *files_dir)
{
	DIR *d = opendir(files_dir);
	if (!d)
		return ctl_fail("cannot read %s: %s", files_dir, strerror(errno));
	int rc = 0;
	char ours[4400], theirs[4400];
	for (struct dirent *e; !rc && (e = readdir(d));) {
		if (!archive_stored_name(e->d_name))
			continue;
		snprintf(ours, sizeof ours, "%s/files/%s", dir, e->d_name);
		snprintf(theirs, sizeof theirs, "%s/%s", files_dir, e->d_name);
		if (access(ours, F_OK) != 0 && unlink(theirs) && errno != ENOENT)
			rc = ctl_fail("cannot remove %s: %s", theirs, strerror(errno));
	}
	closedir(d);
	return rc;
}

int ctl_restore(struct ctl *c, int argc, char **argv)
{
	bool force = argc == 2 && strcmp(argv[1], "--force") == 0;
	if ((argc != 1 && !force) || argv[0][0] == '-')
		return ctl_fail("usage: portalctl restore DIR [--force]");
	const char *dir = argv[0];
	struct tally t = {0};
	int rc = verify(dir, &t);
	if (!rc)
		rc = check_empty(c, force);
	if (!rc)
		rc = load_database(c, dir);
	const char *files_dir = config_get(c->cfg, "files_dir");
	if (!rc)
		rc = manifest_each(dir, place_file, (void *)files_dir);
	if (!rc && force)
		rc = remove_others(dir, files_dir);
	if (!rc && archive_sync_dir(files_dir))
		rc = ctl_fail("cannot sync %s: %s", files_dir, strerror(errno));
	if (!rc)
		printf("restored: the database and %u files from %s\n", t.files, dir);
	return rc;
}

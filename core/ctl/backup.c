/* portalctl backup --out DIR: a consistent backup while the portal serves.
 *
 * DIR/database.sql is mariadb-dump --single-transaction (one snapshot of
 * every table), DIR/files/ the stored files: files are named by their
 * content and never change, and a row names a file only once it is stored,
 * so the files there before the dump began and after it ended (pin_files)
 * hold every file the snapshot names. DIR/MANIFEST lists each with its
 * SHA-256 ("sha256sum -c MANIFEST" checks it).
 * Everything is written to DIR.partial-XXXXXX beside DIR and renamed at the
 * end, so a half backup never looks like one. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/archive.h"
#include "ctl/backup.h"
#include "ctl/ctl.h"

static int dump_database(struct ctl *c, const char *tmp, FILE *manifest)
{
	char path[4200], result[4300], err[512];
	snprintf(path, sizeof path, "%s/%s", tmp, BACKUP_DATABASE);
	snprintf(result, sizeof result, "--result-file=%s", path);
	const char *argv[] = {"mariadb-dump",
	                      "--single-transaction",
	                      "--hex-blob",
	                      "--no-tablespaces",
	                      "--routines",
	                      "--triggers",
	                      "--skip-dump-date",
	                      result,
	                      config_get(c->cfg, "db_name"),
	                      NULL};
	int rc = archive_run_client(c->cfg, argv, -1, err, sizeof err);
	if (rc)
		return rc < 0 ? ctl_fail("%s", err) : ctl_fail("mariadb-dump failed (exit %d)", rc);
	char hex[SHA256_HEX_CHARS + 1];
	if (archive_copy(path, NULL, hex, err, sizeof err))
		return ctl_fail("%s", err);
	fprintf(manifest, "%s  %s\n", hex, BACKUP_DATABASE);
	return 0;
}

/* Hard links in files_dir/.backup-XXXXXX to every stored file there now:
 * a file removed later (its last row deleted after the snapshot) stays
 * readable for the copy. Links taken before the dump and again after it hold
 * every file the snapshot can name, but one stored in the instant before the
 * dump began and removed while it ran. */
static int pin_files(const char *files_dir, const char *pin)
{
	char from[4400], to[4400];
	DIR *d = opendir(files_dir);
	if (!d)
		return ctl_fail("cannot read files_dir %s: %s", files_dir, strerror(errno));
	int rc = 0;
	for (struct dirent *e; !rc && (e = readdir(d));) {
		if (!archive_stored_name(e->d_name))
			continue;
		snprintf(from, sizeof from, "%s/%s", files_dir, e->d_name);
		snprintf(to, sizeof to, "%s/%s", pin, e->d_name);
		if (link(from, to) && errno != EEXIST && errno != ENOENT)
			rc = ctl_fail("cannot link %s: %s", from, strerror(errno));
	}
	closedir(d);
	return rc;
}

static int copy_files(const char *pin, const char *tmp, FILE *manifest, unsigned *count)
{
	char to_dir[4200], from[4500], to[4500], err[512];
	snprintf(to_dir, sizeof to_dir, "%s/files", tmp);
	if (mkdir(to_dir, 0750))
		return ctl_fail("cannot create %s: %s", to_dir, strerror(errno));
	DIR *d = opendir(pin);
	if (!d)
		return ctl_fail("cannot read %s: %s", pin, strerror(errno));
	int rc = 0;
	for (struct dirent *e; !rc && (e = readdir(d));) {
		if (!archive_stored_name(e->d_name))
			continue;
		snprintf(from, sizeof from, "%s/%s", pin, e->d_name);
		snprintf(to, sizeof to, "%s/%s", to_dir, e->d_name);
		char hex[SHA256_HEX_CHARS + 1];
		if (archive_copy(from, to, hex, err, sizeof err))
			rc = ctl_fail("%s", err);
		fprintf(manifest, "%s  files/%s\n", hex, e->d_name);
		++*count;
	}
	closedir(d);
	if (!rc && archive_sync_dir(to_dir))
		rc = ctl_fail("cannot sync %s: %s", to_dir, strerror(errno));
	return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* What a failed backup wrote goes again. */
static void remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static int write_backup(struct ctl *c, const char *tmp, unsigned *count)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", tmp, BACKUP_MANIFEST);
	FILE *manifest = fopen(path, "wx");
	if (!manifest)
		return ctl_fail("cannot create %s: %s", path, strerror(errno));
	const char *files_dir = config_get(c->cfg, "files_dir");
	char pin[4200];
	snprintf(pin, sizeof pin, "%s/.backup-XXXXXX", files_dir);
	bool pinned = mkdtemp(pin) != NULL;
	int rc = pinned ? pin_files(files_dir, pin)
	                : ctl_fail("cannot create a folder in files_dir: %s", strerror(errno));
	if (!rc)
		rc = dump_database(c, tmp, manifest);
	if (!rc)
		rc = pin_files(files_dir, pin);
	if (!rc)
		rc = copy_files(pin, tmp, manifest, count);
	if (pinned)
		remove_tree(pin);
	if (fflush(manifest) || fsync(fileno(manifest)))
		rc = rc ? rc : ctl_fail("cannot write %s: %s", path, strerror(errno));
	fclose(manifest);
	if (!rc && archive_sync_dir(tmp))
		rc = ctl_fail("cannot sync %s: %s", tmp, strerror(errno));
	return rc;
}

int ctl_backup(struct ctl *c, int argc, char **argv)
{
	static const char *const names[] = {"out", NULL};
	int bad = 0;
	const char *out = ctl_option(argc, argv, "out", names, &bad);
	if (bad || !out || !*out)
		return ctl_fail("usage: portalctl backup --out DIR");
	if (access(out, F_OK) == 0)
		return ctl_fail("%s exists already: name a new folder", out);
	char tmp[4096], copy[4096], parent[4096];
	snprintf(copy, sizeof copy, "%s", out);
	snprintf(parent, sizeof parent, "%s", dirname(copy));
	if (snprintf(tmp, sizeof tmp, "%s.partial-XXXXXX", out) >= (int)sizeof tmp)
		return ctl_fail("the folder name is too long");
	if (!mkdtemp(tmp))
		return ctl_fail("cannot write a backup into %s: %s", parent, strerror(errno));
	unsigned count = 0;
	int rc = write_backup(c, tmp, &count);
	if (!rc && rename(tmp, out))
		rc = ctl_fail("cannot rename %s to %s: %s", tmp, out, strerror(errno));
	if (rc) {
		remove_tree(tmp);
		return rc;
	}
	archive_sync_dir(parent);
	printf("backup: %s (the database and %u files)\n", out, count);
	return 0;
}

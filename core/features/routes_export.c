/* The organisation's export for its admins: the button "Alle Daten
 * exportieren" under Einstellungen posts to /app/settings/export, which runs
 * `portalctl export` (core/ctl/export.c, the operators' same command) for the
 * caller's organisation into a private temporary folder and answers with the
 * zip. The answer passes through the request's arena, so a zip larger than a
 * third of arena_bytes is refused with a page that names the operator's
 * command instead. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "features/routes.h"
#include "http/request.h"

/* portalctl beside the running portald (bin/, or the installed BINDIR). */
static int portalctl_path(char out[PATH_MAX])
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	return snprintf(out, PATH_MAX, "%s/portalctl", dirname(self)) >= PATH_MAX ? -1 : 0;
}

/* Runs portalctl export; its exit status, or -1. Its messages go to the log
 * (the worker's stderr). It dies with the worker if the request times out. */
static int run_export(struct portal_req *req, const char *zip)
{
	char program[PATH_MAX], org[32];
	if (portalctl_path(program))
		return -1;
	snprintf(org, sizeof org, "%lld", req->caller.org_id);
	const char *conf = config_path(req->worker->cfg);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int null = open("/dev/null", O_RDWR);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
			_exit(126);
		execl(program, "portalctl", "-c", conf, "export", "--org", org, "--out", zip,
		      (char *)NULL);
		_exit(127);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int read_zip(struct portal_req *req, struct portal_value *view, const char *zip,
                    size_t limit)
{
	struct stat st;
	if (stat(zip, &st))
		return 500;
	if ((size_t)st.st_size > limit) {
		int status = org_settings_fill(req, view);
		return status
		           ? status
		           : portal_fail(req, 413, "too_large", NULL, "settings.export_too_large");
	}
	char *data = portal_alloc(req->arena, (size_t)st.st_size + 1);
	FILE *f = data ? fopen(zip, "rb") : NULL;
	size_t n = f ? fread(data, 1, (size_t)st.st_size, f) : 0;
	if (f)
		fclose(f);
	if (!f || n != (size_t)st.st_size)
		return 500;
	const char *disposition = portal_sprintf(
	    req->arena, "attachment; filename=\"portal-export-%lld.zip\"", req->caller.org_id);
	int status = disposition ? portal_set_header(req, "Content-Disposition", disposition) : 500;
	if (!status)
		status = portal_set_header(req, "Cache-Control", "private, no-store");
	return status ? status : portal_respond_raw(req, "application/zip", data, n);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* POST /app/settings/export */
static int settings_export(struct portal_req *req, struct portal_value *view)
{
	char dir[PATH_MAX], zip[PATH_MAX + 16];
	if (snprintf(dir, sizeof dir, "%s/export-XXXXXX", portal_config(req, "tmp_dir")) >=
	        (int)sizeof dir ||
	    !mkdtemp(dir)) {
		portal_log("export: cannot create a folder in tmp_dir: %s", strerror(errno));
		return 500;
	}
	snprintf(zip, sizeof zip, "%s/export.zip", dir);
	int rc = run_export(req, zip);
	int status;
	if (rc != 0) {
		portal_log("export of organisation %lld failed (portalctl exit %d)",
		           req->caller.org_id, rc);
		status = 500;
	} else {
		/* The zip is read into the arena and copied once more for the answer. */
		status = read_zip(req, view, zip,
		                  (size_t)config_int(req->worker->cfg, "arena_bytes") / 3);
	}
	nftw(dir, remove_entry, 4, FTW_DEPTH | FTW_PHYS);
	return status;
}

const struct portal_route routes_export[] = {
    {"POST", NULL, "/app/settings/export", PORTAL_ACCESS_ADMIN, 0, settings_export, "settings",
     "settings.title"},
    {0},
};

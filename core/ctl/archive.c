/* The MariaDB client programs and file copies for backup, restore and export. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl/archive.h"

/* The credentials go through a file only this user can read, never the
 * command line (which every user sees in ps). */
static int write_option_file(const struct config *cfg, char path[64], char *err, size_t errlen)
{
	snprintf(path, 64, "/tmp/portalctl-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a temporary file in /tmp: %s",
		         strerror(errno));
		return -1;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(path);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fprintf(f, "[client]\nuser=%s\npassword=%s\nsocket=%s\ndefault-character-set=utf8mb4\n",
	        config_get(cfg, "db_user"), config_get(cfg, "db_password"),
	        config_get(cfg, "db_socket"));
	if (fclose(f)) {
		unlink(path);
		snprintf(err, errlen, "cannot write %s", path);
		return -1;
	}
	return 0;
}

int archive_run_client(const struct config *cfg, const char *const *argv, int in_fd, char *err,
                       size_t errlen)
{
	char options[64];
	if (write_option_file(cfg, options, err, errlen))
		return -1;
	char defaults[96];
	snprintf(defaults, sizeof defaults, "--defaults-file=%s", options);
	size_t n = 0;
	while (argv[n])
		n++;
	const char **args = calloc(n + 2, sizeof *args);
	pid_t pid = args ? fork() : -1;
	if (pid == 0) {
		args[0] = argv[0];
		args[1] = defaults;
		for (size_t i = 1; i < n; i++)
			args[i + 1] = argv[i];
		int in = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY);
		if (in < 0 || dup2(in, 0) < 0)
			_exit(126);
		execvp(args[0], (char *const *)args);
		_exit(127);
	}
	free(args);
	int status = -1;
	if (pid < 0)
		snprintf(err, errlen, "cannot start %s: %s", argv[0], strerror(errno));
	else if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		status = -1, snprintf(err, errlen, "%s did not finish", argv[0]);
	else if ((status = WEXITSTATUS(status)) == 127)
		status = -1, snprintf(err, errlen, "%s is not installed", argv[0]);
	unlink(options);
	return status;
}

static int fail(char *err, size_t errlen, const char *what, const char *path)
{
	snprintf(err, errlen, "cannot %s %s: %s", what, path, strerror(errno));
	return -1;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int archive_copy(const char *from, const char *to, char hex[SHA256_HEX_CHARS + 1], char *err,
                 size_t errlen)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return fail(err, errlen, "read", from);
	int out = to ? open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640) : -1;
	if (to && out < 0) {
		close(in);
		return fail(err, errlen, "create", to);
	}
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	static unsigned char chunk[1 << 16];
	int rc = 0;
	for (;;) {
		ssize_t n = read(in, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = fail(err, errlen, "read", from);
		if (n <= 0)
			break;
		crypto_hash_sha256_update(&st, chunk, (unsigned long long)n);
		if (out >= 0 && write_all(out, chunk, (size_t)n)) {
			rc = fail(err, errlen, "write", to);
			break;
		}
	}
	if (!rc && out >= 0 && fsync(out))
		rc = fail(err, errlen, "write", to);
	close(in);
	if (out >= 0 && close(out) && !rc)
		rc = fail(err, errlen, "write", to);
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&st, digest);
	sodium_bin2hex(hex, SHA256_HEX_CHARS + 1, digest, sizeof digest);
	return rc;
}

bool archive_stored_name(const char *name)
{
	return strlen(name) == SHA256_HEX_CHARS &&
	       strspn(name, "0123456789abcdef") == SHA256_HEX_CHARS;
}

int archive_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

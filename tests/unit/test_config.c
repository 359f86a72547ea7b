/* The configuration file: defaults, validation, one clear line on errors. */
#include <stdlib.h>
#include <unistd.h>

#include "lib/config.h"
#include "harness.h"

static char path[] = "/tmp/test_config_XXXXXX";

static struct config *load(const char *text, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return config_load(path, err, errlen);
}

int main(void)
{
	char err[512];
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);

	struct config *cfg = load("# a comment\n\nworkers = 3\nplugins = example  content\n"
	                          "db_password = a=b # not a comment\n",
	                          err, sizeof err);
	CHECK(cfg != NULL);
	CHECK(config_int(cfg, "workers") == 3);
	CHECK_STR(config_get(cfg, "plugins"), "example  content");
	CHECK_STR(config_get(cfg, "db_password"), "a=b # not a comment");
	CHECK_STR(config_get(cfg, "db_name"), "portal"); /* a default */
	CHECK(config_int(cfg, "request_timeout") == 30);
	CHECK(config_get(cfg, "no_such_key") == NULL);
	config_free(cfg);

	cfg = load("workers = 0\n", err, sizeof err);
	CHECK(cfg && config_int(cfg, "workers") >= 1); /* 0 means one per core */
	config_free(cfg);

	CHECK(load("wokers = 3\n", err, sizeof err) == NULL);
	CHECK(strstr(err, ":1: unknown setting \"wokers\"") != NULL);
	CHECK(load("\nworkers = many\n", err, sizeof err) == NULL);
	CHECK(strstr(err, ":2: workers must be a number") != NULL);
	CHECK(load("request_timeout = 0\n", err, sizeof err) == NULL);
	CHECK(load("just words\n", err, sizeof err) == NULL);
	CHECK(strstr(err, "expected \"key = value\"") != NULL);
	CHECK(config_load("/nonexistent/portal.conf", err, sizeof err) == NULL);
	CHECK(strstr(err, "/nonexistent/portal.conf") != NULL);

	/* SMTP credentials only over TLS: STARTTLS required, or smtps://. */
	CHECK(load("smtp_user = portal\nsmtp_password = geheim\n", err, sizeof err) == NULL);
	CHECK(strstr(err, "smtp_user") != NULL && strchr(err, '\n') == NULL);
	CHECK(strstr(err, "geheim") == NULL);
	CHECK(load("smtp_user = portal\nsmtp_starttls = 0\nsmtp_url = smtp://relay:587\n", err,
	           sizeof err) == NULL);
	const char *tls[] = {"smtp_user = portal\nsmtp_starttls = 1\nsmtp_url = smtp://relay:587\n",
	                     "smtp_user = portal\nsmtp_url = smtps://relay:465\n",
	                     "smtp_user = portal\nsmtp_url = SMTPS://relay:465\n",
	                     "smtp_url = smtp://127.0.0.1:25\n"};
	for (size_t i = 0; i < sizeof tls / sizeof tls[0]; i++) {
		cfg = load(tls[i], err, sizeof err);
		CHECK(cfg != NULL);
		config_free(cfg);
	}

	/* The sessions' absolute lifetimes, in days. */
	cfg = load("", err, sizeof err);
	CHECK(cfg && config_int(cfg, "session_max_days_manager") == 30);
	CHECK(cfg && config_int(cfg, "session_max_days_resident") == 180);
	config_free(cfg);
	CHECK(load("session_max_days_manager = 0\n", err, sizeof err) == NULL);

	unlink(path);
	HARNESS_END();
}

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

	unlink(path);
	HARNESS_END();
}

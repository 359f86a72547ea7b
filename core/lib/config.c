#include "lib/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/datetime.h"

/* Every key the portal knows, with its default (NULL: none) and, for numbers,
 * the range config_load accepts. Later features add their settings here. */
struct setting {
	const char *key;
	const char *dflt;
	long min, max; /* both 0: not a number */
};

static const struct setting settings[] = {
    {"listen", "var/run/portald.sock", 0, 0},
    {"pid_file", NULL, 0, 0},
    {"workers", "0", 0, 256}, /* 0: the number of cores */
    {"max_requests", "10000", 1, 100000000},
    {"request_timeout", "30", 1, 3600},
    {"shutdown_timeout", "10", 1, 600},
    /* How long the migration lock outlives a migrator that died (renewed
     * every third of it while migrations run, however long they take). */
    {"migration_lease_seconds", "300", 3, 86400},
    /* The enabled plugins, in order; none unless named (the scripts that
     * write portal.conf name the deployment's). */
    {"plugins", "", 0, 0},
    {"plugin_dir", "bin/plugins", 0, 0},
    {"plugin_share", "plugins", 0, 0},
    {"template_dir", "templates", 0, 0},
    {"sql_dir", "sql", 0, 0},
    {"tmp_dir", "var/tmp", 0, 0},
    {"files_dir", "var/files", 0, 0},
    {"db_socket", "var/run/mariadb.sock", 0, 0},
    {"db_host", NULL, 0, 0},
    {"db_port", "0", 0, 65535},
    {"db_name", "portal", 0, 0},
    {"db_user", "portal", 0, 0},
    {"db_password", "", 0, 0},
    {"base_url", "http://127.0.0.1:8080", 0, 0},
    /* The zone of every local time people read, and of daily jobs (tzdata). */
    {"time_zone", "Europe/Berlin", 0, 0},
    /* 64 hex digits: links that must be shown again (a property's invite link)
     * are derived from it, so the database holds only their hashes. */
    {"secret_key", "", 0, 0},
    {"socket_group", "", 0, 0},
    /* Started as root, portald becomes this user once its socket is open. */
    {"user", "", 0, 0},
    /* Who may read /metrics besides loopback: addresses or networks
     * (ADDRESS/BITS), separated by spaces; nginx's METRICS_ALLOW names them too. */
    {"metrics_allow", "", 0, 0},
    {"smtp_url", "smtp://127.0.0.1:2525", 0, 0},
    {"smtp_user", "", 0, 0},
    {"smtp_password", "", 0, 0},
    {"smtp_starttls", "0", 0, 1},
    {"mail_from", "portal@localhost", 0, 0},
    {"mail_retry_seconds", "30", 1, 3600}, /* the first retry's wait; doubles each time */
    {"mail_max_attempts", "8", 1, 100},    /* then the mail is 'failed' */
    /* Sent and failed mail is purged this many days after (the job
     * "mail-retention"); a secret mail's bodies go as soon as it is sent. */
    {"mail_retention_days", "30", 1, 3650},
    /* Mail a manager sends to addresses that are not yet residents
     * (invitations), per organisation and per manager, within the last hour
     * and the last day: a request that would go past one sends nothing (429). */
    {"mail_quota_org_hour", "500", 1, 10000000},
    {"mail_quota_org_day", "2000", 1, 10000000},
    {"mail_quota_user_hour", "500", 1, 10000000},
    {"mail_quota_user_day", "1000", 1, 10000000},
    {"max_header_bytes", "16384", 1024, 1048576},
    {"max_body_bytes", "62914560", 1024, 1073741824},
    {"max_form_bytes", "1048576", 1024, 67108864},
    {"max_fields", "1000", 1, 100000},
    {"max_parts", "100", 1, 10000},
    {"max_file_bytes", "52428800", 1024, 1073741824},
    {"arena_bytes", "33554432", 1048576, 1073741824},
    /* A cleaned photo's longest side in pixels (portal_photo_clean). */
    {"photo_max_side", "2560", 320, 4096},
    /* A serving process larger than this many MiB (resident) after a request
     * or a job finishes its work and is replaced. */
    {"worker_max_rss", "64", 8, 65536},
    /* Sign-in throttling: failures per account and per client address within
     * the window give 429 until the oldest of them leaves it. */
    {"login_max_failures_account", "5", 1, 1000000},
    {"login_max_failures_address", "20", 1, 1000000},
    {"login_window_seconds", "900", 1, 86400},
    /* Requests for a reset mail per client address and hour; then 429. */
    {"reset_max_per_address", "20", 1, 1000000},
    /* A session ends this many days after its sign-in, however active it
     * stayed (the idle limits end it earlier). */
    {"session_max_days_manager", "30", 1, 3650},
    {"session_max_days_resident", "180", 1, 3650},
    /* For tests only, never in production: a file holding seconds that every
     * process adds to the clock, C's and MariaDB's (lib/clock.h). */
    {"test_clock", "", 0, 0},
    {NULL, NULL, 0, 0},
};

struct config {
	char *path;
	char *values[sizeof settings / sizeof settings[0]];
	struct config_entry *plugin_entries; /* "<plugin>.<key> = value" lines */
	size_t plugin_count;
};

static int setting_index(const char *key)
{
	for (int i = 0; settings[i].key; i++)
		if (strcmp(settings[i].key, key) == 0)
			return i;
	return -1;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static int check_number(const struct setting *st, const char *v)
{
	if (st->min == 0 && st->max == 0)
		return 0;
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	return (errno || end == v || *end || n < st->min || n > st->max) ? -1 : 0;
}

static bool name_ok(const char *s, size_t len)
{
	if (len == 0 || len > 48)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* A plugin's setting: kept for the loader, which knows what the plugin
 * declares (a later line of the same key wins, as for core's). */
static int plugin_line(struct config *cfg, const char *key, const char *value, int lineno,
                       char *err, size_t errlen)
{
	const char *dot = strchr(key, '.');
	if (!name_ok(key, (size_t)(dot - key)) || !name_ok(dot + 1, strlen(dot + 1))) {
		snprintf(err, errlen, "%s:%d: \"%s\" is not a setting name", cfg->path, lineno,
		         key);
		return -1;
	}
	struct config_entry *e = NULL;
	for (size_t i = 0; i < cfg->plugin_count && !e; i++)
		if (strcmp(cfg->plugin_entries[i].key, key) == 0)
			e = &cfg->plugin_entries[i];
	if (!e) {
		struct config_entry *grown =
		    realloc(cfg->plugin_entries, (cfg->plugin_count + 1) * sizeof *grown);
		if (!grown) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		cfg->plugin_entries = grown;
		e = &grown[cfg->plugin_count++];
		*e = (struct config_entry){0};
		if (!(e->key = strdup(key))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	free(e->value);
	e->line = lineno;
	if (!(e->value = strdup(value))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int parse_line(struct config *cfg, char *line, int lineno, char *err, size_t errlen)
{
	char *s = trim(line);
	if (*s == '\0' || *s == '#')
		return 0;
	char *eq = strchr(s, '=');
	if (!eq) {
		snprintf(err, errlen, "%s:%d: expected \"key = value\"", cfg->path, lineno);
		return -1;
	}
	*eq = '\0';
	char *key = trim(s), *value = trim(eq + 1);
	if (strchr(key, '.'))
		return plugin_line(cfg, key, value, lineno, err, errlen);
	int i = setting_index(key);
	if (i < 0) {
		snprintf(err, errlen, "%s:%d: unknown setting \"%s\"", cfg->path, lineno, key);
		return -1;
	}
	if (check_number(&settings[i], value)) {
		snprintf(err, errlen, "%s:%d: %s must be a number from %ld to %ld", cfg->path,
		         lineno, key, settings[i].min, settings[i].max);
		return -1;
	}
	free(cfg->values[i]);
	if (!(cfg->values[i] = strdup(value))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* SMTP credentials travel only over TLS: with smtp_user set, either STARTTLS
 * is required (smtp_starttls = 1) or the URL is smtps:// (TLS from the first
 * byte). 0, or -1 with the reason in err. */
static int check_smtp_tls(const struct config *cfg, char *err, size_t errlen)
{
	const char *user = config_get(cfg, "smtp_user");
	if (!*user || config_int(cfg, "smtp_starttls") == 1 ||
	    strncasecmp(config_get(cfg, "smtp_url"), "smtps://", 8) == 0)
		return 0;
	snprintf(err, errlen,
	         "%s: smtp_user is set but mail would go without TLS: set smtp_starttls = 1"
	         " or use an smtps:// smtp_url",
	         cfg->path);
	return -1;
}

struct config *config_load(const char *path, char *err, size_t errlen)
{
	struct config *cfg = calloc(1, sizeof *cfg);
	if (!cfg || !(cfg->path = strdup(path))) {
		snprintf(err, errlen, "out of memory");
		free(cfg);
		return NULL;
	}
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		config_free(cfg);
		return NULL;
	}
	char line[4096];
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			rc = -1;
		} else {
			rc = parse_line(cfg, line, lineno, err, errlen);
		}
	}
	fclose(f);
	if (!rc && !datetime_zone_valid(config_get(cfg, "time_zone"))) {
		snprintf(err, errlen,
		         "%s: time_zone \"%s\" is not a time zone of the system (tzdata)", path,
		         config_get(cfg, "time_zone"));
		rc = -1;
	}
	if (!rc)
		rc = check_smtp_tls(cfg, err, errlen);
	if (rc) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < sizeof cfg->values / sizeof cfg->values[0]; i++)
		free(cfg->values[i]);
	for (size_t i = 0; i < cfg->plugin_count; i++) {
		free(cfg->plugin_entries[i].key);
		free(cfg->plugin_entries[i].value);
	}
	free(cfg->plugin_entries);
	free(cfg->path);
	free(cfg);
}

const char *config_get(const struct config *cfg, const char *key)
{
	int i = setting_index(key);
	if (i < 0)
		return NULL;
	return cfg->values[i] ? cfg->values[i] : settings[i].dflt;
}

long config_int(const struct config *cfg, const char *key)
{
	const char *v = config_get(cfg, key);
	long n = v ? strtol(v, NULL, 10) : 0;
	if (strcmp(key, "workers") == 0 && n == 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		if (n < 1)
			n = 1;
	}
	return n;
}

const char *config_path(const struct config *cfg)
{
	return cfg->path;
}

const struct config_entry *config_plugin_entries(const struct config *cfg, size_t *count)
{
	*count = cfg->plugin_count;
	return cfg->plugin_entries;
}

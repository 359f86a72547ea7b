/* The configuration file: "key = value" lines, '#' comments. Unknown keys are an
 * error (a typo should not silently fall back to a default); "plugin.key"
 * lines are the plugins' settings, checked when the plugins are loaded. */
#ifndef CORE_CONFIG_H
#define CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct config;

/* Reads and validates path; NULL with one line in err on failure. */
struct config *config_load(const char *path, char *err, size_t errlen);
void config_free(struct config *cfg);

/* The value or the built-in default; NULL when neither. */
const char *config_get(const struct config *cfg, const char *key);
/* Integer settings, validated by config_load to lie within their ranges. */
long config_int(const struct config *cfg, const char *key);
const char *config_path(const struct config *cfg); /* the file it came from */

/* The plugins' settings, "<plugin>.<key> = value" lines, as read (the plugin
 * loader checks them against what each plugin declares). */
struct config_entry {
	char *key; /* "<plugin>.<key>" */
	char *value;
	int line;
};
const struct config_entry *config_plugin_entries(const struct config *cfg, size_t *count);

#endif

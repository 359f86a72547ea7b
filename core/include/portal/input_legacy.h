/* TEMPORARY: the first SDK's body readers (see core/input_legacy.c). */
#ifndef PORTAL_INPUT_LEGACY_H
#define PORTAL_INPUT_LEGACY_H
#include <stdbool.h>
#include <stddef.h>
struct portal_req;
int portal_body_str(struct portal_req *req, const char *name, size_t min_chars,
		    size_t max_chars, const char **out);
int portal_body_bool(struct portal_req *req, const char *name, bool dflt, bool *out);
int portal_body_id(struct portal_req *req, const char *name, bool required, long long *out);
bool portal_body_has(const struct portal_req *req, const char *name);
#endif

/* Placeholder until announcements.c exists: its routes and home sections. */
#ifndef CONTENT_ANNOUNCEMENTS_H
#define CONTENT_ANNOUNCEMENTS_H

#include <portal/portal.h>

#define ANNOUNCEMENT_ROUTES
#define ANNOUNCEMENT_HOME

#endif

/* Placeholder until appointments.c exists: its routes and home sections. */
#ifndef CONTENT_APPOINTMENTS_H
#define CONTENT_APPOINTMENTS_H

#include <portal/portal.h>

#define APPOINTMENT_ROUTES
#define APPOINTMENT_HOME

#endif

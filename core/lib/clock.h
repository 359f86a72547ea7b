/* The deployment's clock (portal_now, portal/datetime.h): the system's,
 * unless portal.conf names a test clock (test_clock = FILE), a file holding
 * seconds to add to it, which tests move forward to run jobs and expire
 * things without waiting. Every process of a deployment reads the same file
 * (the request workers, the jobs worker, portalctl), and the database layer
 * moves MariaDB's NOW() the same way (db.c). */
#ifndef CORE_CLOCK_H
#define CORE_CLOCK_H

/* Makes path the test clock's file; NULL or "" for the system's clock. */
void clock_use_file(const char *path);

/* Whether a test clock's file is named. */
int clock_is_test(void);

/* The seconds the test clock's file holds now (read again whenever the file
 * changed); 0 without a test clock, when the file is missing, or malformed. */
long long clock_offset(void);

#endif

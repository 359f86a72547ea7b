/* Writing CSV that spreadsheets open safely: every CSV the portal writes (the
 * rejected rows of an import, and later lists and exports) goes through it. */
#ifndef CORE_CSV_H
#define CORE_CSV_H

#include "lib/buf.h"

/* Appends s as one cell: in double quotes, quotes doubled. A cell that starts
 * with '=', '+', '-', '@', a tab or a CR gets an apostrophe in front: Excel,
 * LibreOffice and Google Sheets would run it as a formula (a link that sends
 * the sheet away, a command), and the apostrophe makes them show it as text.
 * Returns 0, or -1 when memory ran out (b->failed is set then). */
int csv_cell(struct buf *b, const char *s);

#endif

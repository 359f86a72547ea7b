/* QR codes of the invite link, drawn as SVG and PNG from libqrencode's modules.
 * Both use error correction M (a poster in a hallway gets scratched and
 * photographed at an angle), 8-bit mode (a URL is case-sensitive) and the
 * 4-module quiet zone the standard asks for, so common readers find them. */
#ifndef INVITES_QR_H
#define INVITES_QR_H

#include <stddef.h>

struct portal_arena;

#define QR_QUIET_MODULES 4 /* ISO/IEC 18004: the light border around the symbol */
#define QR_PNG_SCALE 8     /* pixels per module: one byte per module at 1 bit a pixel */

/* The QR code of text as a standalone SVG document (white background, one
 * black path, crispEdges), in the arena. Returns 0 with *out and *len set, or
 * -1 (text too long for a QR code, or out of memory; logged). */
int qr_svg(struct portal_arena *a, const char *text, char **out, size_t *len);

/* The QR code of text as a 1-bit grayscale PNG, QR_PNG_SCALE pixels a module,
 * in the arena. Returns 0 with *out and *len set, or -1 (logged). */
int qr_png(struct portal_arena *a, const char *text, unsigned char **out, size_t *len);

#endif

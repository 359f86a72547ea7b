# What the invites plugin links beyond the SDK (pkg-config packages): a
# property's QR code is made with libqrencode and written as a PNG.
PLUGIN_PKGS = libqrencode libpng

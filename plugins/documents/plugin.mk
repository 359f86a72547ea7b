# What the documents plugin links beyond the SDK (pkg-config packages): the
# type of an uploaded file is read from its content with libmagic.
PLUGIN_PKGS = libmagic

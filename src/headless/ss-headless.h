/* ss-headless.h: spamsieve --headless */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int ss_headless_run (int argc, char **argv);

G_END_DECLS

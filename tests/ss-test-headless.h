/* ss-test-headless.h: one run of spamsieve --headless to its end, and the --json records it
 * printed (part of the test kit; needs json-glib). */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  int        exit_status;   /* -1: it did not exit normally */
  char      *out;
  char      *err;
  GPtrArray *records;       /* JsonObject*, one per line of out */
} SsTestRun;

/* Forgets the result. */
void        ss_test_run_clear      (SsTestRun          *run);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SsTestRun, ss_test_run_clear)

/* Runs spamsieve --headless --config config_path args (ss_test_spawn_headless() with the
 * launcher of ss_test_launcher_new (dir)) and waits for its end; run holds the result. Fails
 * the test if a line of its output is not a JSON object. */
void        ss_test_run_headless   (SsTestRun          *run,
                                    const char         *dir,
                                    const char         *config_path,
                                    const char * const *args);

G_END_DECLS

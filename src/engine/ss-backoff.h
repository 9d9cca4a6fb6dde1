/* ss-backoff.h: reconnect delays: exponential with jitter, 1 s up to 5 min (pure) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint  attempt;    /* failures since the last progress */
  guint  min_ms;
  guint  max_ms;
} SsBackoff;

void   ss_backoff_init   (SsBackoff *self,
                          guint      min_ms,
                          guint      max_ms);
/* The delay before the next try; random in [d/2, d] where d doubles per failure (capped).
 * random01 is a value in [0, 1) (g_random_double() in the engine, fixed in tests). */
guint  ss_backoff_next   (SsBackoff *self,
                          double     random01);
/* Progress was made (e.g. a message moved): the next failure starts from min again. */
void   ss_backoff_reset  (SsBackoff *self);

G_END_DECLS

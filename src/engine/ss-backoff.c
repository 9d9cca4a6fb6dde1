#define G_LOG_DOMAIN "ss-backoff"

#include "config.h"

#include "ss-backoff.h"

void
ss_backoff_init (SsBackoff *self,
                 guint      min_ms,
                 guint      max_ms)
{
  self->attempt = 0;
  self->min_ms = MAX (min_ms, 1);
  self->max_ms = MAX (max_ms, self->min_ms);
}

guint
ss_backoff_next (SsBackoff *self,
                 double     random01)
{
  guint64 d = self->min_ms;

  for (guint i = 0; i < self->attempt && d < self->max_ms; i++)
    d *= 2;
  d = MIN (d, self->max_ms);
  self->attempt++;
  /* "Equal jitter": never less than half the step, so a flapping server is not hammered. */
  return (guint) (d / 2 + (guint64) (CLAMP (random01, 0.0, 1.0) * (d - d / 2)));
}

void
ss_backoff_reset (SsBackoff *self)
{
  self->attempt = 0;
}

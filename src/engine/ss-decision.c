/* ss-decision.c: fused verdict (see ss-decision.h) */
#include "config.h"

#include "ss-decision.h"

#include <math.h>

#include "ss-learner.h"

SsDecision
ss_decide (double spamd_score,
           double spamd_required,
           double learner_margin,
           double threshold,
           double band)
{
  SsDecision d;
  double logodds;

  if (isnan (learner_margin))
    learner_margin = 0;
  if (isnan (threshold))
    threshold = 0.5;
  threshold = CLAMP (threshold, 0.001, 0.999);
  band = isnan (band) ? 0 : CLAMP (band, 0, 0.5);
  logodds = ss_learner_fuse_logodds (spamd_score, spamd_required, learner_margin,
                                     SS_LEARNER_SPAMD_LOGODDS_PER_POINT);
  d.combined = ss_learner_probability (logodds);
  d.logodds = logodds;
  /* The band reaches band/0.5 of the way from the threshold down to 0 and up to 1: at 50 %
   * it is band either side, and it never swallows one side whatever the threshold. */
  if (band > 0 && d.combined > threshold * (1 - band / 0.5)
      && d.combined < threshold + (1 - threshold) * band / 0.5)
    d.kind = SS_DECISION_UNCERTAIN;
  /* Compared in log-odds: a probability that rounds to 1.0 still orders correctly. */
  else if (logodds >= log (threshold / (1 - threshold)))
    d.kind = SS_DECISION_SPAM;
  else
    d.kind = SS_DECISION_HAM;
  return d;
}

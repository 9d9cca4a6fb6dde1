/* ss-decision.h: the verdict from spamd's score and the personal learner's margin, fused.
 * Pure computation: one function, no state. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SS_DECISION_HAM,
  SS_DECISION_SPAM,
  SS_DECISION_UNCERTAIN,
} SsDecisionKind;

typedef struct
{
  double          combined;  /* fused spam probability in [0, 1] */
  double          logodds;   /* the same in log-odds (exact where combined rounds to 0 or 1) */
  SsDecisionKind  kind;
} SsDecision;

/* Defaults of [filter] threshold and uncertain-band, in percent. 50: with no learner opinion
 * the cut-off is spamd's own. 45 (uncertain from 5 % to 95 %): chosen on the TUNE part of
 * bench/run --accuracy (1,869 streamed messages, learner trained and confirmed): 0.31 % of
 * ham in Spam, 2.3 % of spam in INBOX, 3.7 % uncertain (30: 0.37 %, 5.3 %, 1.1 %). */
#define SS_DECISION_DEFAULT_THRESHOLD  50
#define SS_DECISION_DEFAULT_BAND       45

/* spamd_score: NaN when spamd gave none (the learner alone decides). learner_margin: the
 * learner's log-odds (0: no learner or no opinion). threshold: the fused probability from
 * which mail is spam, in (0, 1). band: in [0, 0.5), the uncertain band around the threshold
 * (0: off): it reaches band/0.5 of the way from the threshold down to 0 and up to 1, so at
 * threshold 0.5 it is band either side (0.45: combined in 0.05..0.95 is uncertain). */
SsDecision  ss_decide  (double  spamd_score,
                        double  spamd_required,
                        double  learner_margin,
                        double  threshold,
                        double  band);

G_END_DECLS

/* ss-engine.h: the engine's public API in one include, for app, headless and tests.
 * The *-private.h headers are the engine's own and stay out of it. */
#pragma once

/* errors, settings, credentials, back-off */
#include "ss-backoff.h"
#include "ss-config.h"
#include "ss-credentials.h"
#include "ss-error.h"

/* IMAP */
#include "ss-imap-client.h"
#include "ss-imap-parser.h"
#include "ss-imap-uid-set.h"

/* spamd */
#include "ss-spamd-client.h"
#include "ss-spamd-daemon.h"
#include "ss-spamd-parser.h"

/* messages, verdicts, records and the journal */
#include "ss-journal.h"
#include "ss-message-info.h"
#include "ss-record.h"
#include "ss-verdict.h"

/* the filter and the session */
#include "ss-filter.h"
#include "ss-session.h"

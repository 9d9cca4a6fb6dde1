/* ss-test-mailcheck.h: many distinct test messages, and the "no mail lost" invariant checked
 * on dovecot's maildir directly (never through the code under test). */
#pragma once

#include <glib.h>

#include "ss-test-servers.h"

G_BEGIN_DECLS

typedef struct
{
  GBytes *content;   /* the exact bytes put into the store */
  char   *flags;     /* maildir flag letters it was added with, sorted ("", "S", "FS") */
  char   *message_id;
} SsTestMail;

void        ss_test_mail_free        (SsTestMail     *mail);

/* n messages from the committed corpus (tests/data/corpus, then gtube.eml), reused in turn,
 * each made unique by rewriting its Message-Id line to <tag.INDEX.original>: the bytes are
 * otherwise those of the file. Flags cycle through "", "S", "", "FS". */
GPtrArray  *ss_test_mail_corpus      (guint           n,
                                      const char     *tag);
/* ss_test_mail_corpus (n, tag), already added to Unfiltered. */
GPtrArray  *ss_test_mail_corpus_added (SsTestDovecot *dovecot,
                                       guint          n,
                                       const char    *tag);
/* Adds every mail to folder, straight into the maildir. */
void        ss_test_mail_add_all     (SsTestDovecot  *dovecot,
                                      const char     *folder,
                                      GPtrArray      *mails);
/* Messages in folder not marked \Deleted, counted from the file names only (cheap, for
 * polling). */
guint       ss_test_mail_count       (SsTestDovecot  *dovecot,
                                      const char     *folder);

typedef struct
{
  guint in_unfiltered;
  guint in_inbox;
  guint in_spam;
  guint duplicates;      /* extra copies of an expected message */
  guint strangers;       /* stored messages that are none of the expected ones */
} SsTestMailCensus;

/* The invariant: each mail is in exactly one of Unfiltered, INBOX, Spam (Unfiltered only if
 * allow_unfiltered), byte-identical, with the flags it was added with; in Spam it carries
 * $Junk and not $NotJunk, in INBOX $NotJunk and not $Junk; nothing else is stored there,
 * and the learning folders are empty. With tolerate_duplicates a second copy (e.g. an
 * original left \Deleted in Unfiltered after its copy landed: the COPY + EXPUNGE path) is
 * counted in census->duplicates instead of failing. Fails the test with a message naming
 * the mail otherwise. */
void        ss_test_mail_check       (SsTestDovecot    *dovecot,
                                      GPtrArray        *mails,
                                      gboolean          allow_unfiltered,
                                      gboolean          tolerate_duplicates,
                                      SsTestMailCensus *census);
/* After a pass stopped midway: the invariant with Unfiltered allowed, some mail still there,
 * and every message that moved reported (n_records in all). */
void        ss_test_mail_check_stopped (SsTestDovecot *dovecot,
                                        GPtrArray     *mails,
                                        guint          n_records);
/* Where the mail is now ("Unfiltered", "INBOX", "Spam") or NULL; asserts at most once. */
const char *ss_test_mail_locate      (SsTestDovecot  *dovecot,
                                      SsTestMail     *mail);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsTestMail, ss_test_mail_free)

G_END_DECLS
